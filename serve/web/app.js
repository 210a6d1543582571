// aerofill web editor: wires the page's controls to the Editor and the API.
//
// Page state is mirrored on <body data-state>: empty → loading → ready →
// restoring → done (or back to ready after an error). Tests and scripts can
// use window.aerofill (see the end of this file).

import { Editor } from "./editor.js";
import * as api from "./api.js";

const $ = (id) => document.getElementById(id);

const app = {
  editor: null,
  file: null, // the original upload (Blob), sent as is so GeoTIFFs keep their tags
  name: "",
  result: null, // {blob, type, model, filled, ms, bitmap}
  abort: null,
  lastMask: null, // the mask PNG sent with the last restore
};

function setState(s) {
  document.body.dataset.state = s;
  updateControls();
}

function state() {
  return document.body.dataset.state;
}

let toastTimer = 0;
function showError(msg) {
  const t = $("toast");
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 8000);
  setMessage("");
}

function setMessage(msg) {
  $("message").textContent = msg;
}

function formatCount(n) {
  return n.toLocaleString("en-US");
}

function formatBytes(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(0) + " MiB";
  return (n / 1024).toFixed(0) + " KiB";
}

// ---- opening images ----

function sniff(head) {
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return "png";
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if ((head[0] === 0x49 && head[1] === 0x49) || (head[0] === 0x4d && head[1] === 0x4d)) return "tiff";
  return "";
}

async function openFile(file) {
  if (!file || state() === "restoring") return;
  const prev = state();
  setState("loading");
  setMessage(`Opening ${file.name}…`);
  try {
    const kind = sniff(new Uint8Array(await file.slice(0, 8).arrayBuffer()));
    if (!kind) throw new Error("not a PNG, JPEG or TIFF image");
    let display = file;
    let geo = false;
    if (kind === "tiff") {
      setMessage(`Decoding ${file.name} on the server…`);
      ({ blob: display, geotiff: geo } = await api.decode(file));
    }
    const bitmap = await createImageBitmap(display);
    app.file = file;
    app.name = file.name || "image";
    clearResult();
    app.editor.setImage(bitmap);
    $("filename").textContent = app.name;
    $("info").textContent = `${bitmap.width} × ${bitmap.height}${geo ? " · GeoTIFF" : ""} · ${formatBytes(file.size)}`;
    setMessage("Paint over the damage, or use Find black.");
    setState("ready");
  } catch (err) {
    setState(app.editor.image ? (prev === "done" ? "done" : "ready") : "empty");
    showError(`Cannot open ${file.name}: ${err.message || err}`);
  }
}

function clearResult() {
  if (app.result && app.result.url) URL.revokeObjectURL(app.result.url);
  app.result = null;
  const a = $("download");
  a.removeAttribute("href");
  a.classList.add("disabled");
  a.setAttribute("aria-disabled", "true");
  app.editor.setResult(null);
}

// ---- restoring ----

async function restore() {
  const ed = app.editor;
  if (!ed.image || state() === "restoring") return;
  $("toast").hidden = true;
  const ctrl = new AbortController();
  app.abort = ctrl;
  setState("restoring");
  const t0 = performance.now();
  const tick = setInterval(() => {
    $("restore-label").textContent = `Restoring… ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  }, 100);
  try {
    const mask = await ed.maskPNG();
    app.lastMask = mask;
    setMessage(mask ? `Restoring ${formatCount(ed.maskCount)} masked pixels…` : "No mask painted: the restorer finds black and nodata pixels itself…");
    const res = await api.restore({
      image: app.file,
      name: app.name,
      mask,
      model: $("model").value,
      tta: $("tta").value,
      signal: ctrl.signal,
    });
    let display = res.blob;
    if (res.type === "image/tiff") display = (await api.decode(res.blob, { signal: ctrl.signal })).blob;
    res.bitmap = await createImageBitmap(display);
    clearResult();
    res.url = URL.createObjectURL(res.blob);
    app.result = res;
    const a = $("download");
    a.href = res.url;
    a.download = `${app.name.replace(/\.[^.]*$/, "")}-restored.${res.type === "image/tiff" ? "tif" : "png"}`;
    a.classList.remove("disabled");
    a.removeAttribute("aria-disabled");
    ed.setResult(res.bitmap);
    setMessage(`Filled ${formatCount(res.filled)} px with ${res.model} in ${formatCount(res.ms)} ms${res.queueMs > 50 ? ` (queued ${formatCount(res.queueMs)} ms)` : ""}. Drag to compare.`);
    setState("done");
  } catch (err) {
    setState(app.result ? "done" : "ready");
    if (err.name === "AbortError") setMessage("Cancelled.");
    else showError(err.message || String(err));
  } finally {
    clearInterval(tick);
    $("restore-label").textContent = "Restore";
    app.abort = null;
    updateControls();
  }
}

async function useResult() {
  const r = app.result;
  if (!r) return;
  app.file = r.blob;
  app.name = app.name.replace(/(-restored)?\.[^.]*$/, "") + `-restored.${r.type === "image/tiff" ? "tif" : "png"}`;
  const bitmap = r.bitmap;
  app.result = null; // keep the blob URL alive for the download link
  app.editor.setImage(bitmap);
  $("filename").textContent = app.name;
  setMessage("Editing the restored image.");
  setState("ready");
}

// ---- controls ----

function setTool(tool) {
  app.editor.tool = tool;
  for (const t of ["brush", "eraser"]) {
    const b = $(`tool-${t}`);
    b.classList.toggle("active", t === tool);
    b.setAttribute("aria-pressed", String(t === tool));
  }
  if (app.editor.compare) app.editor.setCompare(false);
  app.editor.invalidate();
}

function setBrush(size) {
  size = Math.round(Math.min(200, Math.max(1, size)));
  app.editor.brush = size;
  $("size").value = size;
  $("size-value").textContent = size;
  app.editor.invalidate();
}

function updateControls() {
  const ed = app.editor;
  const s = state();
  const has = !!ed.image;
  const busy = s === "restoring" || s === "loading";
  $("restore").disabled = !has || busy;
  $("cancel").hidden = s !== "restoring";
  $("model").disabled = busy || $("model").options.length === 0;
  $("tta").disabled = busy;
  $("undo").disabled = !has || busy || ed.undoStack.length === 0;
  $("redo").disabled = !has || busy || ed.redoStack.length === 0;
  $("clear").disabled = !has || busy || ed.maskCount === 0;
  $("find-black").disabled = !has || busy;
  $("fit").disabled = !has;
  $("compare").disabled = !ed.result;
  $("compare").setAttribute("aria-pressed", String(ed.compare));
  $("use-result").disabled = !app.result || busy;
  $("progress").hidden = s !== "restoring";
  if (has) {
    const pct = ((100 * ed.maskCount) / (ed.width * ed.height)).toFixed(ed.maskCount ? 2 : 0);
    $("mask-info").textContent = `mask ${formatCount(ed.maskCount)} px (${pct}%)`;
    $("zoom").textContent = `${Math.round(ed.scale * 100)}%`;
  }
}

function updateCursor() {
  const ed = app.editor;
  if (!ed.pointer || !ed.image) {
    $("cursor").textContent = "";
    return;
  }
  const p = ed.clientToImage(ed.pointer.x, ed.pointer.y);
  const x = Math.floor(p.x);
  const y = Math.floor(p.y);
  $("cursor").textContent = x >= 0 && y >= 0 && x < ed.width && y < ed.height ? `${x}, ${y}` : "";
}

async function loadModels() {
  try {
    const m = await api.models();
    const sel = $("model");
    sel.replaceChildren();
    for (const kind of ["model", "filler"]) {
      const items = m.models.filter((x) => x.kind === kind);
      if (!items.length) continue;
      const group = document.createElement("optgroup");
      group.label = kind === "model" ? "Models" : "Classical fillers";
      for (const it of items) {
        const o = document.createElement("option");
        o.value = it.name;
        o.textContent = it.name;
        o.title = it.description;
        o.selected = it.name === m.default;
        group.append(o);
      }
      sel.append(group);
    }
    if (Array.isArray(m.tta) && m.tta.length) {
      const tta = $("tta");
      tta.replaceChildren(new Option("default", "0"), ...m.tta.map((n) => new Option(`×${n}`, String(n))));
    }
    updateControls();
  } catch (err) {
    showError(`Could not list models: ${err.message}`);
  }
  try {
    const v = await api.version();
    $("version").textContent = `aerofill ${v.version}`;
    $("limits").textContent = `Up to ${formatBytes(v.limits.maxUploadBytes)} and ${(v.limits.maxPixels / 1e6).toFixed(0)} megapixels per image.`;
  } catch {
    // the version is decoration
  }
}

function isTyping(e) {
  const t = e.target;
  return t instanceof HTMLSelectElement || (t instanceof HTMLInputElement && t.type !== "range");
}

function keydown(e) {
  const ed = app.editor;
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === "z") {
    e.preventDefault();
    if (e.shiftKey) ed.redo();
    else ed.undo();
    return;
  }
  if (mod && e.key.toLowerCase() === "y") {
    e.preventDefault();
    ed.redo();
    return;
  }
  if (mod && e.key === "Enter") {
    e.preventDefault();
    restore();
    return;
  }
  if (mod && e.key.toLowerCase() === "o") {
    e.preventDefault();
    $("file").click();
    return;
  }
  if (mod || e.altKey || isTyping(e)) return;
  switch (e.key) {
    case "[":
      setBrush(ed.brush / 1.2 - 1);
      break;
    case "]":
      setBrush(ed.brush * 1.2 + 1);
      break;
    case " ":
      e.preventDefault();
      if (!e.repeat) ed.setSpace(true);
      break;
    case "b":
    case "B":
      setTool("brush");
      break;
    case "e":
    case "E":
      setTool("eraser");
      break;
    case "c":
    case "C":
      if (ed.result) ed.setCompare(!ed.compare);
      break;
    case "f":
    case "F":
      ed.fit();
      break;
    case "o":
    case "O":
      $("file").click();
      break;
    case "+":
    case "=":
      ed.zoomAt(1.25);
      break;
    case "-":
      ed.zoomAt(0.8);
      break;
    case "0":
      ed.zoomAt(1 / ed.scale);
      break;
    case "Escape":
      if (app.abort) app.abort.abort();
      break;
    default:
      return;
  }
}

function init() {
  app.editor = new Editor($("view"), {
    onChange: ({ pointerOnly }) => {
      if (!pointerOnly) updateControls();
      updateCursor();
    },
  });

  $("open").onclick = $("open2").onclick = () => $("file").click();
  $("file").onchange = (e) => {
    openFile(e.target.files[0]);
    e.target.value = "";
  };
  $("restore").onclick = restore;
  $("cancel").onclick = () => app.abort && app.abort.abort();
  $("tool-brush").onclick = () => setTool("brush");
  $("tool-eraser").onclick = () => setTool("eraser");
  $("size").oninput = (e) => setBrush(Number(e.target.value));
  $("undo").onclick = () => app.editor.undo();
  $("redo").onclick = () => app.editor.redo();
  $("clear").onclick = () => app.editor.clearMask();
  $("find-black").onclick = () => {
    const n = app.editor.markBlack();
    setMessage(n ? `Marked ${formatCount(n)} black pixels.` : "No pure-black pixels found.");
  };
  $("compare").onclick = () => app.editor.setCompare(!app.editor.compare);
  $("fit").onclick = () => app.editor.fit();
  $("use-result").onclick = useResult;

  window.addEventListener("keydown", keydown);
  window.addEventListener("keyup", (e) => e.key === " " && app.editor.setSpace(false));
  window.addEventListener("blur", () => app.editor.setSpace(false));

  // Drag and drop anywhere on the page.
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    $("dropzone").hidden = false;
  });
  window.addEventListener("dragleave", () => {
    if (--depth <= 0) {
      depth = 0;
      $("dropzone").hidden = true;
    }
  });
  window.addEventListener("dragover", (e) => hasFiles(e) && e.preventDefault());
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("dropzone").hidden = true;
    if (e.dataTransfer.files.length) openFile(e.dataTransfer.files[0]);
  });

  setBrush(24);
  setState("empty");
  loadModels();
}

init();

// A small scripting surface, used by the browser test and handy from the
// console: positions in client coordinates of the view canvas and results
// as base64.
window.aerofill = {
  app,
  state,
  imageToClient(x, y) {
    const p = app.editor.imageToClient(x, y);
    const r = app.editor.canvas.getBoundingClientRect();
    return { x: p.x + r.left, y: p.y + r.top };
  },
  async resultBase64() {
    return app.result ? blobToBase64(app.result.blob) : null;
  },
  async lastMaskBase64() {
    return app.lastMask ? blobToBase64(app.lastMask) : null;
  },
};

function blobToBase64(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(",")[1]);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

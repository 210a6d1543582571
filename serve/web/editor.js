// The canvas editor: an image, a damage mask painted at image resolution,
// a zoom/pan view, undo/redo, and a before/after comparison.
//
// Coordinates: "image" coordinates are pixels of the image; "client"
// coordinates are CSS pixels relative to the view canvas. The view maps
// image → client as client = image * scale + (tx, ty).

const MASK_RGB = [255, 59, 48]; // what a damaged pixel looks like in the mask canvas
const MASK_ALPHA = 0.5; // mask overlay opacity
const HISTORY_BYTES = 512 << 20; // undo memory budget

export class Editor {
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onChange = onChange;
    this.image = null; // ImageBitmap shown as "before"
    this.result = null; // ImageBitmap shown as "after"
    this.mask = null; // canvas, image-sized: opaque red where damaged
    this.maskCtx = null;
    this.shadow = null; // copy of the mask as of the last finished edit, for undo
    this.shadowCtx = null;
    this.maskCount = 0; // damaged pixels
    this.undoStack = [];
    this.redoStack = [];
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.tool = "brush"; // or "eraser"
    this.brush = 24; // diameter, image pixels
    this.compare = false;
    this.split = 0.5; // compare split, fraction of the view width
    this.showMask = true;
    this.pointer = null; // last pointer position, client coordinates
    this.spaceHeld = false;
    this.drag = null; // {kind: "paint"|"pan"|"split", ...}
    this.dirty = false;
    // The mask as shown: a view-sized canvas holding the mask under the
    // current view transform. Painting draws on it as well as on the mask,
    // so a frame never reads the image-sized mask: drawing a large canvas
    // into another makes the browser copy it on its next write, and that
    // copy, per pointer move, is what makes painting on big images lag.
    this.overlay = document.createElement("canvas");
    this.overlayCtx = this.overlay.getContext("2d");
    this.overlayKey = "";
    this.maskGen = 0; // bumped by every mask change that is not a stroke

    new ResizeObserver(() => this.resize()).observe(canvas);
    canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    canvas.addEventListener("pointerup", (e) => this.pointerUp(e));
    canvas.addEventListener("pointercancel", (e) => this.pointerUp(e));
    canvas.addEventListener("pointerleave", () => {
      this.pointer = null;
      this.invalidate();
    });
    canvas.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("auxclick", (e) => e.preventDefault());
    this.resize();
  }

  get width() {
    return this.image ? this.image.width : 0;
  }
  get height() {
    return this.image ? this.image.height : 0;
  }

  // setImage starts over with a new image: empty mask, no history, fitted.
  setImage(bitmap) {
    this.image = bitmap;
    this.result = null;
    this.compare = false;
    this.mask = newCanvas(bitmap.width, bitmap.height);
    this.maskCtx = this.mask.getContext("2d", { willReadFrequently: true });
    this.shadow = newCanvas(bitmap.width, bitmap.height);
    this.shadowCtx = this.shadow.getContext("2d", { willReadFrequently: true });
    // Touch both now, so that their memory is allocated while the image
    // loads rather than on the first stroke.
    for (const ctx of [this.maskCtx, this.shadowCtx]) {
      ctx.fillRect(0, 0, 1, 1);
      ctx.clearRect(0, 0, 1, 1);
      ctx.getImageData(0, 0, 1, 1);
    }
    this.maskCount = 0;
    this.maskGen++;
    this.undoStack = [];
    this.redoStack = [];
    this.fit();
    this.changed();
  }

  setResult(bitmap) {
    this.result = bitmap;
    this.compare = !!bitmap;
    this.split = 0.5;
    this.changed();
  }

  setCompare(on) {
    this.compare = on && !!this.result;
    this.changed();
  }

  // ---- view ----

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.overlay.width = this.canvas.width;
    this.overlay.height = this.canvas.height;
    this.overlayKey = "";
    this.viewW = r.width;
    this.viewH = r.height;
    this.invalidate();
  }

  fit() {
    if (!this.image) return;
    // Leave room for the floating toolbar at the bottom.
    const pad = 24;
    const bottom = 76;
    const s = Math.min((this.viewW - 2 * pad) / this.width, (this.viewH - pad - bottom) / this.height);
    this.scale = clamp(s, 0.01, 8);
    this.tx = (this.viewW - this.width * this.scale) / 2;
    this.ty = pad + (this.viewH - pad - bottom - this.height * this.scale) / 2;
    this.changed();
  }

  // zoomAt multiplies the scale by factor, keeping client point (cx, cy) fixed.
  zoomAt(factor, cx = this.viewW / 2, cy = this.viewH / 2) {
    const s = clamp(this.scale * factor, 0.01, 64);
    const k = s / this.scale;
    this.tx = cx - (cx - this.tx) * k;
    this.ty = cy - (cy - this.ty) * k;
    this.scale = s;
    this.changed();
  }

  imageToClient(x, y) {
    return { x: x * this.scale + this.tx, y: y * this.scale + this.ty };
  }

  clientToImage(cx, cy) {
    return { x: (cx - this.tx) / this.scale, y: (cy - this.ty) / this.scale };
  }

  // ---- pointer ----

  localPoint(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  pointerDown(e) {
    if (!this.image || this.drag) return;
    const p = this.localPoint(e);
    this.pointer = p;
    if (e.button === 1 || e.button === 2 || (e.button === 0 && this.spaceHeld)) {
      this.drag = { kind: "pan", x: p.x, y: p.y };
    } else if (e.button === 0 && this.compare) {
      this.drag = { kind: "split" };
      this.split = clamp(p.x / this.viewW, 0, 1);
    } else if (e.button === 0) {
      this.beginStroke(this.clientToImage(p.x, p.y));
      this.drag = { kind: "paint" };
    } else {
      return;
    }
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.updateCursor();
    this.invalidate();
  }

  pointerMove(e) {
    const p = this.localPoint(e);
    this.pointer = p;
    const d = this.drag;
    if (d && d.kind === "pan") {
      this.tx += p.x - d.x;
      this.ty += p.y - d.y;
      d.x = p.x;
      d.y = p.y;
      this.changed();
      return;
    }
    if (d && d.kind === "split") {
      this.split = clamp(p.x / this.viewW, 0, 1);
    } else if (d && d.kind === "paint") {
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ce of events.length ? events : [e]) {
        const q = this.localPoint(ce);
        this.extendStroke(this.clientToImage(q.x, q.y));
      }
    }
    this.onChange({ pointerOnly: !d });
    this.invalidate();
  }

  pointerUp(e) {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    if (d.kind === "paint") this.endStroke();
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.updateCursor();
    this.changed();
  }

  wheel(e) {
    if (!this.image) return;
    e.preventDefault();
    if (this.drag && this.drag.kind === "paint") return; // the stroke is drawn in the current view
    const p = this.localPoint(e);
    // deltaMode 1 is lines (Firefox): about 16 pixels each.
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.zoomAt(Math.exp(-dy * 0.0015), p.x, p.y);
  }

  setSpace(held) {
    this.spaceHeld = held;
    this.updateCursor();
  }

  updateCursor() {
    let c = "none"; // the brush circle is drawn instead
    if (!this.image) c = "default";
    else if (this.drag && this.drag.kind === "pan") c = "grabbing";
    else if (this.spaceHeld) c = "grab";
    else if (this.compare) c = "ew-resize";
    this.canvas.style.cursor = c;
  }

  // ---- mask editing ----

  beginStroke(p) {
    const r = this.brush / 2;
    this.stroke = { last: p, x0: p.x - r, y0: p.y - r, x1: p.x + r, y1: p.y + r };
    this.syncOverlay();
    const dpr = this.dpr();
    // Paint in image coordinates on the mask, and through the view
    // transform on the overlay.
    this.overlayCtx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    for (const ctx of [this.maskCtx, this.overlayCtx]) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, 0, this.width, this.height); // the overlay extends past the image
      ctx.clip();
      ctx.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
      ctx.fillStyle = ctx.strokeStyle = `rgb(${MASK_RGB})`;
      ctx.lineWidth = this.brush;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  extendStroke(p) {
    const s = this.stroke;
    if (!s) return;
    for (const ctx of [this.maskCtx, this.overlayCtx]) {
      ctx.beginPath();
      ctx.moveTo(s.last.x, s.last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
    const r = this.brush / 2;
    s.x0 = Math.min(s.x0, p.x - r);
    s.y0 = Math.min(s.y0, p.y - r);
    s.x1 = Math.max(s.x1, p.x + r);
    s.y1 = Math.max(s.y1, p.y + r);
    s.last = p;
  }

  endStroke() {
    const s = this.stroke;
    if (!s) return;
    this.maskCtx.restore();
    this.overlayCtx.restore();
    this.stroke = null;
    this.commit(s.x0 - 2, s.y0 - 2, s.x1 + 2, s.y1 + 2);
  }

  // commit records the change of the mask inside a box (image coordinates)
  // as one undo step, comparing the mask with its shadow copy there.
  commit(x0, y0, x1, y1) {
    const x = clamp(Math.floor(x0), 0, this.width);
    const y = clamp(Math.floor(y0), 0, this.height);
    const w = clamp(Math.ceil(x1), 0, this.width) - x;
    const h = clamp(Math.ceil(y1), 0, this.height) - y;
    if (w <= 0 || h <= 0) return;
    const before = this.shadowCtx.getImageData(x, y, w, h);
    const after = this.maskCtx.getImageData(x, y, w, h);
    const delta = countDamaged(after) - countDamaged(before);
    this.shadowCtx.putImageData(after, x, y);
    this.maskCount += delta;
    this.undoStack.push({ x, y, before, after, delta });
    this.redoStack = [];
    let bytes = 0;
    for (let i = this.undoStack.length - 1; i >= 0; i--) {
      bytes += 8 * this.undoStack[i].before.width * this.undoStack[i].before.height;
      if (bytes > HISTORY_BYTES && i < this.undoStack.length - 1) {
        this.undoStack.splice(0, i + 1);
        break;
      }
    }
    this.changed();
  }

  undo() {
    const step = this.undoStack.pop();
    if (!step) return false;
    this.maskCtx.putImageData(step.before, step.x, step.y);
    this.shadowCtx.putImageData(step.before, step.x, step.y);
    this.maskCount -= step.delta;
    this.maskGen++;
    this.redoStack.push(step);
    this.changed();
    return true;
  }

  redo() {
    const step = this.redoStack.pop();
    if (!step) return false;
    this.maskCtx.putImageData(step.after, step.x, step.y);
    this.shadowCtx.putImageData(step.after, step.x, step.y);
    this.maskCount += step.delta;
    this.maskGen++;
    this.undoStack.push(step);
    this.changed();
    return true;
  }

  clearMask() {
    if (!this.image || this.maskCount === 0) return;
    this.maskCtx.clearRect(0, 0, this.width, this.height);
    this.maskGen++;
    this.commit(0, 0, this.width, this.height);
  }

  // markBlack adds every pure-black pixel of the image to the mask and
  // returns how many there were.
  markBlack() {
    if (!this.image) return 0;
    const src = newCanvas(this.width, this.height).getContext("2d", { willReadFrequently: true });
    src.drawImage(this.image, 0, 0);
    const px = src.getImageData(0, 0, this.width, this.height).data;
    const m = this.maskCtx.getImageData(0, 0, this.width, this.height);
    const d = m.data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] === 0 && px[i + 1] === 0 && px[i + 2] === 0) {
        d[i] = MASK_RGB[0];
        d[i + 1] = MASK_RGB[1];
        d[i + 2] = MASK_RGB[2];
        d[i + 3] = 255;
        n++;
      }
    }
    if (n > 0) {
      this.maskCtx.putImageData(m, 0, 0);
      this.maskGen++;
      this.commit(0, 0, this.width, this.height);
    }
    return n;
  }

  // maskPNG encodes the mask as the API wants it: white where damaged,
  // black elsewhere, at image size. It resolves to null for an empty mask.
  async maskPNG() {
    if (!this.image || this.maskCount === 0) return null;
    const out = newCanvas(this.width, this.height);
    const ctx = out.getContext("2d");
    ctx.drawImage(this.mask, 0, 0);
    ctx.globalCompositeOperation = "source-in";
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.width, this.height);
    return canvasToPNG(out);
  }

  // ---- drawing ----

  changed() {
    this.onChange({});
    this.invalidate();
  }

  invalidate() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.render();
    });
  }

  dpr() {
    return this.canvas.width / Math.max(1, this.viewW);
  }

  // syncOverlay redraws the overlay from the mask if the view or the mask
  // changed since it was drawn.
  syncOverlay() {
    const key = `${this.scale},${this.tx},${this.ty},${this.overlay.width},${this.overlay.height},${this.maskGen}`;
    if (key === this.overlayKey || !this.mask) return;
    this.overlayKey = key;
    const ctx = this.overlayCtx;
    const dpr = this.dpr();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlay.width, this.overlay.height);
    if (this.maskCount === 0) return;
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    ctx.imageSmoothingEnabled = this.scale < 1;
    ctx.drawImage(this.mask, 0, 0);
  }

  render() {
    const ctx = this.ctx;
    const dpr = this.dpr();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.image) return;

    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    ctx.imageSmoothingEnabled = this.scale < 1;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.image, 0, 0);
    const splitX = this.split * this.viewW;
    if (this.compare && this.result) {
      const ix = (splitX - this.tx) / this.scale;
      if (ix < this.width) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(Math.max(0, ix), 0, this.width, this.height);
        ctx.clip();
        ctx.drawImage(this.result, 0, 0);
        ctx.restore();
      }
    } else if (this.showMask) {
      if (!this.stroke) this.syncOverlay(); // a stroke keeps it in step itself
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.globalAlpha = MASK_ALPHA;
      ctx.drawImage(this.overlay, 0, 0);
      ctx.restore();
    }

    // Screen-space overlays.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.strokeStyle = "rgba(255,255,255,0.12)";
    ctx.lineWidth = 1;
    ctx.strokeRect(this.tx - 0.5, this.ty - 0.5, this.width * this.scale + 1, this.height * this.scale + 1);
    if (this.compare && this.result) {
      drawSplit(ctx, splitX, this.viewH);
    } else if (this.pointer && !this.spaceHeld && !(this.drag && this.drag.kind === "pan")) {
      const r = Math.max(1, (this.brush / 2) * this.scale);
      ctx.beginPath();
      ctx.arc(this.pointer.x, this.pointer.y, r, 0, 2 * Math.PI);
      ctx.strokeStyle = "rgba(0,0,0,0.7)";
      ctx.lineWidth = 3;
      ctx.stroke();
      ctx.strokeStyle = this.tool === "eraser" ? "#9ecbff" : "#ffffff";
      ctx.lineWidth = 1.25;
      ctx.stroke();
    }
  }
}

function drawSplit(ctx, x, h) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(Math.round(x) - 1, 0, 2, h);
  const cy = h / 2;
  ctx.beginPath();
  ctx.arc(x, cy, 16, 0, 2 * Math.PI);
  ctx.fillStyle = "rgba(20,22,28,0.9)";
  ctx.fill();
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x - 5, cy - 5);
  ctx.lineTo(x - 10, cy);
  ctx.lineTo(x - 5, cy + 5);
  ctx.moveTo(x + 5, cy - 5);
  ctx.lineTo(x + 10, cy);
  ctx.lineTo(x + 5, cy + 5);
  ctx.stroke();
  ctx.font = "600 12px system-ui, sans-serif";
  ctx.textBaseline = "top";
  label(ctx, "Before", x - 12, 12, "right");
  label(ctx, "After", x + 12, 12, "left");
}

function label(ctx, text, x, y, align) {
  const w = ctx.measureText(text).width + 16;
  const left = align === "right" ? x - w : x;
  ctx.fillStyle = "rgba(20,22,28,0.8)";
  ctx.beginPath();
  ctx.roundRect(left, y, w, 22, 11);
  ctx.fill();
  ctx.fillStyle = "#e6e8ee";
  ctx.textAlign = "left";
  ctx.fillText(text, left + 8, y + 5);
}

// countDamaged counts mask pixels that export as damaged (alpha ≥ 128).
function countDamaged(img) {
  const d = img.data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] >= 128) n++;
  return n;
}

function newCanvas(w, h) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return c;
}

function canvasToPNG(c) {
  return new Promise((resolve, reject) =>
    c.toBlob((b) => (b ? resolve(b) : reject(new Error("could not encode the mask"))), "image/png"),
  );
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

// Calls to the aerofill HTTP API (see /api/openapi.json). URLs are relative,
// so the page also works behind a reverse proxy under a path prefix.

// APIError carries the server's {"error": ...} message and HTTP status.
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function check(resp) {
  if (resp.ok) return resp;
  let msg = `${resp.status} ${resp.statusText}`;
  try {
    const body = await resp.json();
    if (body && body.error) msg = body.error;
  } catch {
    // not JSON: keep the status line
  }
  if (resp.status === 503 && resp.headers.get("Retry-After")) {
    msg += ` (retry in ${resp.headers.get("Retry-After")} s)`;
  }
  throw new APIError(resp.status, msg);
}

export async function models() {
  const resp = await check(await fetch("api/models"));
  return resp.json();
}

export async function version() {
  const resp = await check(await fetch("api/version"));
  return resp.json();
}

// decode turns any supported upload (TIFF included) into a PNG blob.
export async function decode(blob, { signal } = {}) {
  const fd = new FormData();
  fd.append("image", blob, "image");
  const resp = await check(await fetch("api/decode", { method: "POST", body: fd, signal }));
  return { blob: await resp.blob(), geotiff: resp.headers.get("X-Aerofill-GeoTIFF") === "true" };
}

// restore sends the image (the original bytes) and the mask and resolves
// to the restored file and what the server said about it.
export async function restore({ image, name, mask, model, tta, signal }) {
  const fd = new FormData();
  fd.append("image", image, name || "image");
  if (mask) fd.append("mask", mask, "mask.png");
  if (model) fd.append("model", model);
  if (tta && tta !== "0") fd.append("tta", tta);
  const resp = await check(await fetch("api/restore", { method: "POST", body: fd, signal }));
  const h = resp.headers;
  return {
    blob: await resp.blob(),
    type: (h.get("Content-Type") || "").split(";")[0],
    model: h.get("X-Aerofill-Model"),
    filled: Number(h.get("X-Aerofill-Filled-Pixels") || 0),
    ms: Number(h.get("X-Aerofill-Duration-Ms") || 0),
    queueMs: Number(h.get("X-Aerofill-Queue-Ms") || 0),
  };
}

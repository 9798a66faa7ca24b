/**
 * Superpixel label map: decoding, validation, boundaries and hit testing.
 * Pure and DOM-free.
 */

/** What a bytes trait can arrive as (anywidget gives a DataView). */
export type BytesLike = DataView | ArrayBuffer | ArrayBufferView;

export type SegmentsDtype = "uint16" | "uint32";

const BYTES_PER: Record<SegmentsDtype, number> = { uint16: 2, uint32: 4 };

/** A DataView over exactly the bytes of `bytes`, honouring any byteOffset. */
export function toDataView(bytes: BytesLike): DataView {
  if (bytes instanceof DataView) return bytes;
  if (bytes instanceof ArrayBuffer) return new DataView(bytes);
  if (ArrayBuffer.isView(bytes)) {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  throw new TypeError("expected bytes (DataView, ArrayBuffer or typed array)");
}

/** A Uint8Array view over exactly the bytes of `bytes` (no copy). */
export function toUint8Array(bytes: BytesLike): Uint8Array {
  const view = toDataView(bytes);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/**
 * Decode the little-endian label map sent by the kernel into one segment id per pixel.
 * `nSegments` is K, the number of superpixels (the length of `visible`).
 * Throws an Error with a clear message when the dtype is unknown, the byte length does not
 * match width*height, or an id is not below nSegments.
 */
export function decodeSegments(
  bytes: BytesLike,
  dtype: string,
  width: number,
  height: number,
  nSegments: number,
): Uint32Array {
  if (dtype !== "uint16" && dtype !== "uint32") {
    throw new Error(`segments_dtype must be "uint16" or "uint32", got ${JSON.stringify(dtype)}`);
  }
  checkSize("width", width);
  checkSize("height", height);
  checkSize("the number of superpixels", nSegments);
  const view = toDataView(bytes);
  const per = BYTES_PER[dtype];
  const n = width * height;
  if (view.byteLength !== n * per) {
    throw new Error(
      `segments_bytes has ${view.byteLength} bytes, expected ${n * per} ` +
        `(${width}x${height} ${dtype} = ${n} values of ${per} bytes)`,
    );
  }
  const out = new Uint32Array(n);
  if (per === 2) {
    for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
  }
  for (let i = 0; i < n; i++) {
    if (out[i] >= nSegments) {
      const x = i % width;
      const y = (i - x) / width;
      throw new Error(
        `segment id ${out[i]} at pixel (${x}, ${y}) is out of range: there are ${nSegments} superpixels`,
      );
    }
  }
  return out;
}

/**
 * Boundary mask: 1 where a pixel's segment differs from its right or bottom neighbour.
 */
export function boundaryMask(
  segments: ArrayLike<number>,
  width: number,
  height: number,
): Uint8Array {
  const n = width * height;
  if (segments.length !== n) {
    throw new Error(`label map has ${segments.length} pixels, expected ${width}x${height}`);
  }
  const mask = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const lastRow = y === height - 1;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const s = segments[i];
      if ((x < width - 1 && segments[i + 1] !== s) || (!lastRow && segments[i + width] !== s)) {
        mask[i] = 1;
      }
    }
  }
  return mask;
}

/**
 * Image pixel under a point given in CSS pixels relative to the displayed canvas' top-left
 * corner (e.g. clientX - rect.left), when the canvas is shown at cssWidth x cssHeight.
 * Returns null outside the canvas.
 */
export function pixelAtPoint(
  x: number,
  y: number,
  cssWidth: number,
  cssHeight: number,
  width: number,
  height: number,
): { x: number; y: number } | null {
  if (!(cssWidth > 0 && cssHeight > 0 && width > 0 && height > 0)) return null;
  if (!(x >= 0 && y >= 0 && x < cssWidth && y < cssHeight)) return null;
  const px = Math.min(width - 1, Math.max(0, Math.floor((x * width) / cssWidth)));
  const py = Math.min(height - 1, Math.max(0, Math.floor((y * height) / cssHeight)));
  return { x: px, y: py };
}

/** Segment id under a CSS point (see pixelAtPoint), or -1 outside the image. */
export function segmentAtPoint(
  segments: ArrayLike<number>,
  width: number,
  height: number,
  x: number,
  y: number,
  cssWidth: number,
  cssHeight: number,
): number {
  const p = pixelAtPoint(x, y, cssWidth, cssHeight, width, height);
  if (p === null) return -1;
  const id = segments[p.y * width + p.x];
  return id === undefined ? -1 : id;
}

/** Per-segment centroid (in image pixels) and pixel count; NaN centroid for empty segments. */
export interface SegmentStats {
  cx: Float64Array;
  cy: Float64Array;
  count: Uint32Array;
}

export function segmentStats(
  segments: ArrayLike<number>,
  width: number,
  height: number,
  nSegments: number,
): SegmentStats {
  const sx = new Float64Array(nSegments);
  const sy = new Float64Array(nSegments);
  const count = new Uint32Array(nSegments);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = segments[y * width + x];
      if (s < nSegments) {
        sx[s] += x + 0.5;
        sy[s] += y + 0.5;
        count[s]++;
      }
    }
  }
  for (let s = 0; s < nSegments; s++) {
    sx[s] = count[s] > 0 ? sx[s] / count[s] : Number.NaN;
    sy[s] = count[s] > 0 ? sy[s] / count[s] : Number.NaN;
  }
  return { cx: sx, cy: sy, count };
}

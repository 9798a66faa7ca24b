/**
 * Decoding of the PNG traits to RGBA pixels (needs a browser: createImageBitmap and a canvas).
 */

import { type BytesLike, toUint8Array } from "../core/segments";

/** Decode a PNG trait to RGBA pixels, checking that it is width x height. */
export async function decodePng(
  bytes: BytesLike,
  width: number,
  height: number,
  name: string,
): Promise<Uint8ClampedArray> {
  const data = toUint8Array(bytes).slice();
  if (data.byteLength === 0) throw new Error(`${name} is empty`);
  const bitmap = await createImageBitmap(new Blob([data], { type: "image/png" }), {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  try {
    if (bitmap.width !== width || bitmap.height !== height) {
      throw new Error(`${name} is ${bitmap.width}x${bitmap.height}, expected ${width}x${height}`);
    }
    const off = document.createElement("canvas");
    off.width = width;
    off.height = height;
    const ctx = off.getContext("2d", { willReadFrequently: true });
    if (ctx === null) throw new Error("canvas 2D context is not available");
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, width, height).data;
  } finally {
    bitmap.close();
  }
}

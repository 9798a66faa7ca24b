/**
 * Per-pixel composition of the displayed image on RGBA buffers (ImageData.data), DOM-free:
 * 1. the image pixel if its superpixel is visible, else the `hidden` pixel (what the model sees);
 * 2. the heatmap colour of its superpixel blended at `heatmapAlpha` (when a heatmap is given);
 * 3. superpixel boundaries, and an outline around the `highlight` superpixel.
 */

import type { RGBA } from "./colormap";

export const DEFAULT_HEATMAP_ALPHA = 0.45;
export const DEFAULT_BOUNDARY_COLOR: RGBA = [255, 255, 255, 150];
export const DEFAULT_HIGHLIGHT_COLOR: RGBA = [255, 214, 0, 255];

export interface ComposeOptions {
  width: number;
  height: number;
  /** RGBA pixels of the original image, 4 * width * height. */
  image: Uint8ClampedArray;
  /** RGBA pixels shown for hidden superpixels, 4 * width * height. */
  hidden: Uint8ClampedArray;
  /** Segment id per pixel, width * height. */
  segments: Uint32Array;
  /** Per-segment visibility (false = hidden); ids beyond its length count as visible. */
  visible: ArrayLike<boolean>;
  /** Output RGBA buffer, 4 * width * height (may be a fresh ImageData's data). */
  out: Uint8ClampedArray;
  /** Per-segment heatmap RGBA colours (4 per segment) or null for no heatmap. */
  heatmap?: Uint8ClampedArray | null;
  /** Heatmap opacity in [0, 1], multiplied by each colour's own alpha. */
  heatmapAlpha?: number;
  /** Boundary mask (1 = boundary pixel), or null for none. */
  boundary?: Uint8Array | null;
  boundaryColor?: RGBA;
  /** Superpixel to outline (e.g. under the pointer); -1 for none. */
  highlight?: number;
  highlightColor?: RGBA;
}

function check(name: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new Error(`${name} has length ${actual}, expected ${expected}`);
  }
}

/** Compose into `opts.out` and return it. */
export function composePixels(opts: ComposeOptions): Uint8ClampedArray {
  const { width, height, image, hidden, segments, visible, out } = opts;
  const n = width * height;
  check("segments", segments.length, n);
  check("image", image.length, n * 4);
  check("hidden", hidden.length, n * 4);
  check("out", out.length, n * 4);
  const heatmap = opts.heatmap ?? null;
  const boundary = opts.boundary ?? null;
  if (boundary !== null) check("boundary", boundary.length, n);
  const alpha = Math.max(0, Math.min(1, opts.heatmapAlpha ?? DEFAULT_HEATMAP_ALPHA));
  const highlight = opts.highlight ?? -1;

  // Per-segment tables: visibility and premultiplied heatmap colour.
  const nVis = visible.length;
  const nHeat = heatmap === null ? 0 : heatmap.length >> 2;
  const nSeg = Math.max(nVis, nHeat);
  const vis = new Uint8Array(nSeg).fill(1);
  for (let s = 0; s < nVis; s++) vis[s] = visible[s] === false ? 0 : 1;
  const keep = new Float32Array(nSeg).fill(1);
  const add = new Float32Array(nSeg * 3);
  if (heatmap !== null && alpha > 0) {
    for (let s = 0; s < nHeat; s++) {
      const a = (alpha * heatmap[s * 4 + 3]) / 255;
      keep[s] = 1 - a;
      add[s * 3] = heatmap[s * 4] * a;
      add[s * 3 + 1] = heatmap[s * 4 + 1] * a;
      add[s * 3 + 2] = heatmap[s * 4 + 2] * a;
    }
  }

  const bc = opts.boundaryColor ?? DEFAULT_BOUNDARY_COLOR;
  const ba = bc[3] / 255;
  const bKeep = 1 - ba;
  const bR = bc[0] * ba;
  const bG = bc[1] * ba;
  const bB = bc[2] * ba;
  const hc = opts.highlightColor ?? DEFAULT_HIGHLIGHT_COLOR;

  for (let i = 0; i < n; i++) {
    const s = segments[i];
    const src = s >= nSeg || vis[s] === 1 ? image : hidden;
    const p = i * 4;
    let r = src[p];
    let g = src[p + 1];
    let b = src[p + 2];
    if (s < nSeg) {
      const k = keep[s];
      if (k !== 1) {
        r = r * k + add[s * 3];
        g = g * k + add[s * 3 + 1];
        b = b * k + add[s * 3 + 2];
      }
    }
    if (boundary !== null && boundary[i] === 1) {
      r = r * bKeep + bR;
      g = g * bKeep + bG;
      b = b * bKeep + bB;
    }
    out[p] = r;
    out[p + 1] = g;
    out[p + 2] = b;
    out[p + 3] = 255;
  }

  if (highlight >= 0) outline(segments, width, height, highlight, hc, out);
  return out;
}

/** Paint the inner border pixels of segment `id` (4-neighbour differs) with `color`. */
function outline(
  segments: Uint32Array,
  width: number,
  height: number,
  id: number,
  color: RGBA,
  out: Uint8ClampedArray,
): void {
  const a = color[3] / 255;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (segments[i] !== id) continue;
      const edge =
        (x > 0 && segments[i - 1] !== id) ||
        (x < width - 1 && segments[i + 1] !== id) ||
        (y > 0 && segments[i - width] !== id) ||
        (y < height - 1 && segments[i + width] !== id);
      if (!edge) continue;
      const p = i * 4;
      out[p] = out[p] * (1 - a) + color[0] * a;
      out[p + 1] = out[p + 1] * (1 - a) + color[1] * a;
      out[p + 2] = out[p + 2] * (1 - a) + color[2] * a;
    }
  }
}

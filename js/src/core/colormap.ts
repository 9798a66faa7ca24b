/**
 * Diverging, colour-blind-safe colormap (ColorBrewer RdBu, 11 classes), symmetric around zero:
 * negative weights (evidence against the class) are red, positive weights (evidence for it)
 * are blue, zero is the neutral near-white middle stop. Pure and DOM-free.
 */

export type RGB = readonly [number, number, number];
export type RGBA = [number, number, number, number];

/** ColorBrewer RdBu-11, from -1 (index 0) to +1 (index 10). */
export const DIVERGING_STOPS: readonly RGB[] = [
  [0x67, 0x00, 0x1f],
  [0xb2, 0x18, 0x2b],
  [0xd6, 0x60, 0x4d],
  [0xf4, 0xa5, 0x82],
  [0xfd, 0xdb, 0xc7],
  [0xf7, 0xf7, 0xf7],
  [0xd1, 0xe5, 0xf0],
  [0x92, 0xc5, 0xde],
  [0x43, 0x93, 0xc3],
  [0x21, 0x66, 0xac],
  [0x05, 0x30, 0x61],
];

/** Colour for t in [-1, 1] (clamped; NaN gives the neutral colour), alpha 255. */
export function divergingColor(t: number): RGBA {
  const c = Number.isNaN(t) ? 0 : Math.max(-1, Math.min(1, t));
  const last = DIVERGING_STOPS.length - 1;
  const pos = ((c + 1) / 2) * last;
  const i = Math.min(last - 1, Math.floor(pos));
  const f = pos - i;
  const a = DIVERGING_STOPS[i];
  const b = DIVERGING_STOPS[i + 1];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
    255,
  ];
}

/** Largest absolute finite value (0 for an empty or all-zero list). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (Number.isFinite(v) && v > m) m = v;
  }
  return m;
}

/** Colour of `value` on a scale symmetric around zero spanning [-scale, +scale]. */
export function valueToColor(value: number, scale: number): RGBA {
  return divergingColor(scale > 0 && Number.isFinite(value) ? value / scale : 0);
}

/**
 * Per-segment RGBA colours (length 4 * weights.length) for a weight vector, on the symmetric
 * scale [-scale, +scale] (default: the largest |weight|). `alpha` (optional, 0..1 per segment,
 * clamped; a missing or non-finite entry counts as 1) sets each colour's alpha channel, which the
 * composition multiplies with the heatmap opacity.
 */
export function segmentColors(
  weights: ArrayLike<number>,
  scale: number = maxAbs(weights),
  alpha: ArrayLike<number> | null = null,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(weights.length * 4);
  for (let i = 0; i < weights.length; i++) {
    const c = valueToColor(weights[i], scale);
    const a = alpha === null || i >= alpha.length ? 1 : alpha[i];
    out[i * 4] = c[0];
    out[i * 4 + 1] = c[1];
    out[i * 4 + 2] = c[2];
    out[i * 4 + 3] = Number.isFinite(a) ? Math.round(c[3] * Math.max(0, Math.min(1, a))) : c[3];
  }
  return out;
}

export function rgbaToCss(c: RGBA | RGB): string {
  const alpha = c.length === 4 ? c[3] / 255 : 1;
  return alpha === 1
    ? `rgb(${c[0]}, ${c[1]}, ${c[2]})`
    : `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

export interface LegendStop {
  /** 0 at the left (-scale) end of the bar, 1 at the right (+scale) end. */
  offset: number;
  /** The weight this stop stands for. */
  value: number;
  color: string;
}

/** Evenly spaced legend stops from -scale to +scale (count >= 2). */
export function legendStops(scale: number, count = DIVERGING_STOPS.length): LegendStop[] {
  const n = Math.max(2, Math.floor(count));
  const stops: LegendStop[] = [];
  for (let i = 0; i < n; i++) {
    const offset = i / (n - 1);
    const t = offset * 2 - 1;
    stops.push({ offset, value: t * scale, color: rgbaToCss(divergingColor(t)) });
  }
  return stops;
}

/** CSS linear-gradient (left = negative, right = positive) for the legend bar. */
export function legendGradient(count = DIVERGING_STOPS.length): string {
  const parts = legendStops(1, count).map(
    (s) => `${s.color} ${(s.offset * 100).toFixed(1).replace(/\.0$/, "")}%`,
  );
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

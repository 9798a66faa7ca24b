/**
 * Bootstrap uncertainty of a class' LIME weights (the `std`, `confidence`, `confidence_k`,
 * `stability` and `top_k_status` fields of `ClassInfo`): reading the untrusted fields, which
 * superpixels' weights are within noise, and the heatmap opacity that marks them. Pure and DOM-free.
 */

import type { ClassInfo } from "../protocol";
import type { WeightUncertainty } from "./format";

/** z of the two-sided 90% normal interval: a weight is within noise when |w| < Z90 * std. */
export const Z90 = 1.645;
/** Heatmap opacity of a superpixel whose weight is within noise, relative to a solid one. */
export const NOISY_ALPHA = 0.5;
/** Legend line explaining the faded superpixels. */
export const NOISE_NOTE = "faded: weight within noise (90% interval contains 0)";

/** A per-superpixel value that may be unknown for some superpixels. */
export type PerSegment = readonly (number | undefined)[];

const inRange = (x: unknown, lo: number, hi: number): x is number =>
  typeof x === "number" && Number.isFinite(x) && x >= lo && x <= hi;

/**
 * The entries of `v` when it is a list of one value per superpixel (K = `n`), with each entry
 * that is not a number in [lo, hi] unknown; null when `v` is missing (null, undefined), not a
 * list, of the wrong length, or has no usable entry.
 */
export function perSegment(v: unknown, n: number, lo: number, hi: number): PerSegment | null {
  if (!Array.isArray(v) || n <= 0 || v.length !== n) return null;
  const out = v.map((x) => (inRange(x, lo, hi) ? x : undefined));
  return out.some((x) => x !== undefined) ? out : null;
}

/** `confidence_k` when it is a positive integer, else undefined. */
export function topKOf(info: ClassInfo | undefined): number | undefined {
  const k = info?.confidence_k;
  return typeof k === "number" && Number.isInteger(k) && k >= 1 ? k : undefined;
}

/** `stability` when it is a number in [0, 1], else undefined (missing, null or malformed). */
export function stabilityOf(info: ClassInfo | undefined): number | undefined {
  const x = info?.stability;
  return inRange(x, 0, 1) ? x : undefined;
}

/** Longest `top_k_status` shown: the kernel's texts are far shorter, so a longer one is malformed. */
export const MAX_STATUS_LENGTH = 300;

/**
 * `top_k_status` when it is a non-empty string of at most `MAX_STATUS_LENGTH` characters, else
 * undefined (missing, null, malformed: the field is untrusted input).
 */
export function topKStatusOf(info: ClassInfo | undefined): string | undefined {
  const x: unknown = info?.top_k_status;
  return typeof x === "string" && x.length > 0 && x.length <= MAX_STATUS_LENGTH ? x : undefined;
}

export interface Uncertainty {
  /** Standard error of each weight (>= 0), or null when unknown. */
  std: PerSegment | null;
  /** Share (0..1) of refits with the superpixel in the top k; null when unknown or k is. */
  confidence: PerSegment | null;
  /** The k of `confidence` and `stability`. */
  k: number | undefined;
  stability: number | undefined;
  /** Whether the refits decide the top k, in words (undefined: unknown). */
  topKStatus: string | undefined;
}

/** The uncertainty fields of class `info` on K = `n` superpixels, validated. */
export function readUncertainty(info: ClassInfo | undefined, n: number): Uncertainty {
  const k = topKOf(info);
  return {
    std: perSegment(info?.std, n, 0, Number.POSITIVE_INFINITY),
    confidence: k === undefined ? null : perSegment(info?.confidence, n, 0, 1),
    k,
    stability: stabilityOf(info),
    topKStatus: topKStatusOf(info),
  };
}

/** The uncertainty of superpixel `id`, for the tooltip (absent fields: unknown). */
export function segmentUncertainty(u: Uncertainty, id: number): WeightUncertainty {
  const out: WeightUncertainty = {};
  const std = u.std?.[id];
  if (std !== undefined) out.std = std;
  const confidence = u.confidence?.[id];
  if (confidence !== undefined && u.k !== undefined) {
    out.confidence = confidence;
    out.k = u.k;
  }
  return out;
}

/** Whether the 90% interval weight ± Z90 * std contains 0; false when either is unknown. */
export function withinNoise(weight: number | undefined, std: number | undefined): boolean {
  return (
    weight !== undefined &&
    std !== undefined &&
    Number.isFinite(weight) &&
    Math.abs(weight) < Z90 * std
  );
}

/**
 * 1 for each superpixel whose weight is within noise, 0 otherwise (also where its std is
 * unknown); null when `std` is unknown or does not have one entry per weight.
 */
export function noiseMask(weights: readonly number[], std: PerSegment | null): Uint8Array | null {
  if (std === null || std.length !== weights.length) return null;
  const out = new Uint8Array(weights.length);
  for (let i = 0; i < weights.length; i++) out[i] = withinNoise(weights[i], std[i]) ? 1 : 0;
  return out;
}

/** Per-superpixel heatmap opacity (0..1): `noisy` for the superpixels of `mask`, 1 for the rest. */
export function noiseAlphas(mask: Uint8Array, noisy = NOISY_ALPHA): Float32Array {
  const a = Math.max(0, Math.min(1, noisy));
  return Float32Array.from(mask, (m) => (m === 1 ? a : 1));
}

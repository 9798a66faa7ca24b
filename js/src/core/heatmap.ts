/**
 * The weight heatmap of the tracked class and its legend: superpixels whose weight is within
 * noise (bootstrap std, see uncertainty.ts) are drawn at reduced opacity. Pure and DOM-free.
 */

import type { ClassInfo, HeatmapMethod } from "../protocol";
import { maxAbs, segmentColors } from "./colormap";
import { formatSigned } from "./format";
import { NOISE_NOTE, noiseAlphas, noiseMask, readUncertainty } from "./uncertainty";

/** Whether `weights` can colour (and rank) the K superpixels: one weight for each. */
export function weightsUsable(weights: readonly number[], n: number): boolean {
  return n > 0 && weights.length === n;
}

export interface HeatmapView {
  /** Per-superpixel RGBA colours, or null when the class has no usable weights. */
  colors: Uint8ClampedArray | null;
  title: string;
  /** What the colours mean. */
  note: string;
  /** Tick texts at the ends of the legend bar. */
  min: string;
  max: string;
  /** Accessible name of the legend bar. */
  barLabel: string;
  /** Legend line on the faded (within-noise) superpixels; "" when the std is unknown. */
  noise: string;
  /** 1 for each superpixel drawn faded, or null when the std is unknown. */
  noisy: Uint8Array | null;
}

export const LIME_NOTE = "red: against the class · blue: for the class";
export const GRADCAM_NOTE =
  "blue: where Grad-CAM finds evidence for the class (it has no negative side)";

/** Heatmap colours and legend texts for the class `info` on K = `n` superpixels. */
export function heatmapView(
  info: ClassInfo | undefined,
  n: number,
  method: HeatmapMethod = "lime",
): HeatmapView {
  if (method === "gradcam") return gradcamView(info, n);
  const weights = Array.isArray(info?.weights) ? info.weights : [];
  const title = info ? `LIME weight for “${info.name}”` : "LIME weight (no class)";
  if (!weightsUsable(weights, n)) return uncoloured(title, LIME_NOTE, "colour scale (no weights)");
  const scale = maxAbs(weights);
  const min = formatSigned(-scale);
  const max = formatSigned(scale);
  const noisy = noiseMask(weights, readUncertainty(info, n).std);
  const count = noisy === null ? 0 : noisy.reduce((a, m) => a + m, 0);
  return {
    colors: segmentColors(weights, scale, noisy === null ? null : noiseAlphas(noisy)),
    title,
    note: LIME_NOTE,
    min,
    max,
    barLabel: `colour scale from ${min} (red, against) to ${max} (blue, for)`,
    noise: noisy === null ? "" : `${NOISE_NOTE} · ${count} of ${n} superpixels`,
    noisy,
  };
}

/** The legend of a map that has nothing to colour. */
function uncoloured(title: string, note: string, barLabel: string): HeatmapView {
  return { colors: null, title, note, min: "—", max: "—", barLabel, noise: "", noisy: null };
}

/** Grad-CAM averaged per superpixel, on the same scale as the weights (superpixels without a value: clear). */
function gradcamView(info: ClassInfo | undefined, n: number): HeatmapView {
  const title = info ? `Grad-CAM for “${info.name}”` : "Grad-CAM (no class)";
  const raw = Array.isArray(info?.gradcam) ? info.gradcam : [];
  const scores = raw.map((x) => (typeof x === "number" && Number.isFinite(x) ? x : Number.NaN));
  if (scores.length !== n || n === 0 || !scores.some((x) => Number.isFinite(x))) {
    return uncoloured(title, GRADCAM_NOTE, "colour scale (no Grad-CAM scores)");
  }
  const scale = maxAbs(scores);
  const min = formatSigned(-scale);
  const max = formatSigned(scale);
  return {
    colors: segmentColors(
      scores,
      scale,
      scores.map((x) => (Number.isFinite(x) ? 1 : 0)),
    ),
    title,
    note: GRADCAM_NOTE,
    min,
    max,
    barLabel: `colour scale up to ${max} (blue: Grad-CAM evidence for the class)`,
    noise: "",
    noisy: null,
  };
}

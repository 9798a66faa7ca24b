/**
 * The weight heatmap of the tracked class and its legend. Pure and DOM-free.
 */

import type { ClassInfo } from "../protocol";
import { maxAbs, segmentColors } from "./colormap";
import { formatSigned } from "./format";

/** Whether `weights` can colour (and rank) the K superpixels: one weight for each. */
export function weightsUsable(weights: readonly number[], n: number): boolean {
  return n > 0 && weights.length === n;
}

export interface HeatmapView {
  /** Per-superpixel RGBA colours, or null when the class has no usable weights. */
  colors: Uint8ClampedArray | null;
  title: string;
  /** Tick texts at the ends of the legend bar. */
  min: string;
  max: string;
  /** Accessible name of the legend bar. */
  barLabel: string;
}

/** Heatmap colours and legend texts for the class `info` on K = `n` superpixels. */
export function heatmapView(info: ClassInfo | undefined, n: number): HeatmapView {
  const weights = Array.isArray(info?.weights) ? info.weights : [];
  const title = info ? `LIME weight for “${info.name}”` : "LIME weight (no class)";
  if (!weightsUsable(weights, n)) {
    return { colors: null, title, min: "—", max: "—", barLabel: "colour scale (no weights)" };
  }
  const scale = maxAbs(weights);
  const min = formatSigned(-scale);
  const max = formatSigned(scale);
  return {
    colors: segmentColors(weights, scale),
    title,
    min,
    max,
    barLabel: `colour scale from ${min} (red, against) to ${max} (blue, for)`,
  };
}

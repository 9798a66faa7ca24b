/**
 * The synced traits of `lime_widget.widget.LimeWidget` and the values that travel in them.
 * Protocol: docs/protocol.md.
 */

import type { AnyModel } from "@anywidget/types";

/** A row of `original_scores` / `scores`: rank 1 = top class. */
export interface ScoreRow {
  id: number;
  name: string;
  prob: number;
  rank: number;
}

/** An explained class (an entry of `classes`). */
export interface ClassInfo {
  id: number;
  name: string;
  /** One LIME weight per superpixel. */
  weights: number[];
  intercept: number;
  r2: number;
  /** The model's score for the unmasked image. */
  original: number;
}

/** A probe of the `history` trait. */
export interface Probe {
  rev: number;
  hidden: number[];
  label: number;
  score: number;
  change: number;
  top: string;
}

export interface LimeTraits {
  // Sent once by Python.
  image_png: DataView;
  hidden_png: DataView;
  segments_bytes: DataView;
  segments_dtype: string;
  width: number;
  height: number;
  classes: ClassInfo[];
  original_scores: ScoreRow[];
  // Shared state: K, the number of superpixels, is the length of `visible`.
  visible: boolean[];
  rev: number;
  selected_label: number;
  show_heatmap: boolean;
  top_k: number;
  // Written by Python.
  scores: ScoreRow[];
  surrogate: number[];
  scored_rev: number;
  status: string;
  error: string;
  history: Probe[];
}

export type LimeModel = AnyModel<LimeTraits>;

/** Traits whose change means the image and the label map are decoded again. */
export const IMAGE_TRAITS = [
  "image_png",
  "hidden_png",
  "segments_bytes",
  "segments_dtype",
  "width",
  "height",
] as const satisfies readonly (keyof LimeTraits)[];

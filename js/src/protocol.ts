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
  // Bootstrap uncertainty of the weights (refits on resampled perturbations). Messages from
  // older versions lack these fields: undefined is read like null. Malformed values (wrong
  // length, non-finite entries, out of range) are ignored, per entry, never thrown on.
  /** Standard error of each weight (one per superpixel, same order as `weights`); null: no refits. */
  std?: number[] | null;
  /**
   * For each superpixel, the share (0..1) of bootstrap refits in which it is among the
   * `confidence_k` most positive weights; null: no refits.
   */
  confidence?: number[] | null;
  /** The k of `confidence`, `stability` and `top_k_status` (5). */
  confidence_k?: number;
  /** Expected top-k Jaccard index (0..1) between two runs with different seeds; null: no refits. */
  stability?: number | null;
  /**
   * Whether the refits decide the top `confidence_k` superpixels, in a user's words, e.g. "top 5
   * settled" or "top 5: 4 settled, the 5th a tie between #23 and #17"; null: no refits. Shown as
   * text only (at most 300 characters; anything else is ignored).
   */
  top_k_status?: string | null;
  /**
   * Grad-CAM averaged over each superpixel (same order as `weights`; null: the superpixel lies
   * outside the model's crop). Present only for a widget made with `gradcam=True`.
   */
  gradcam?: (number | null)[] | null;
  /** How LIME's weights and `gradcam` agree (with `gradcam`). */
  agreement?: Agreement | null;
}

/** Agreement of LIME's weights and Grad-CAM for one class. */
export interface Agreement {
  /** Spearman rank correlation over the superpixels (null: undefined). */
  spearman: number | null;
  /** How many of the top `k` superpixels the two share. */
  overlap: number;
  k: number;
}

/** The `flip` trait: the last smallest-flip search (`{}` before any). */
export interface FlipInfo {
  state?: "running" | "done" | "error";
  label?: number;
  label_name?: string;
  flipped?: boolean;
  hidden?: number[];
  size?: number | null;
  new_class_name?: string | null;
  new_score?: number | null;
  greedy_size?: number | null;
  forward_passes?: number;
  budget?: number;
  stop_reason?: string;
  message?: string;
}

/** The `curve` trait (docs/protocol.md). */
export interface CurveInfo {
  state: "running" | "done" | "error";
  label: number;
  label_name: string;
  ranking: string;
  mode: "deletion" | "insertion";
  order: number[];
  counts: number[];
  scores: (number | null)[];
  area: number | null;
  message: string;
}

/**
 * A custom message from the kernel: the model's scores of masks one click away (pre-scored) or of
 * the curve's points, so the view can show them at once when such a mask is clicked.
 */
export interface ScoresMessage {
  type: "scores";
  entries: { hidden: number[]; scores: ScoreRow[] }[];
}

/** The maps the heatmap can show. */
export type HeatmapMethod = "lime" | "gradcam";

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
  /** The heatmap's opacity over the photo, 0..1. */
  heatmap_opacity: number;
  /** Which map the heatmap shows ("gradcam" only when the classes carry `gradcam`). */
  heatmap_method: string;
  top_k: number;
  /** Show (and so score) the deletion / insertion curve. */
  show_curve: boolean;
  /** The curve's ranking: "lime", "gradcam" (with Grad-CAM) or "random". */
  curve_ranking: string;
  /** "deletion" or "insertion". */
  curve_mode: string;
  // Written by Python.
  scores: ScoreRow[];
  surrogate: number[];
  scored_rev: number;
  status: string;
  error: string;
  history: Probe[];
  flip: FlipInfo;
  /** The curve on show ({} before any); read with `readCurve` (core/curve.ts). */
  curve: CurveInfo | Record<string, never>;
  /**
   * Set only in a saved HTML file (`save_html`): there is no kernel, so no model scores a new mask;
   * the panel then shows the surrogate's prediction, labelled as such.
   */
  offline?: boolean;
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

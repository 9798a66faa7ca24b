/**
 * The deletion / insertion curve in the view: reading the `curve` trait, the mask of each point,
 * where the mask on screen lies on the curve, the plot's scales and hit-testing. Pure and DOM-free.
 */

import type { Mask } from "./masks";

export type CurveMode = "deletion" | "insertion";
export type CurveRanking = "lime" | "gradcam" | "random";
export const CURVE_MODES: readonly CurveMode[] = ["deletion", "insertion"];

/** A checked `curve` trait. */
export interface CurveData {
  state: "running" | "done" | "error";
  label: number;
  labelName: string;
  ranking: string;
  mode: CurveMode;
  /** Every superpixel id once, best first. */
  order: number[];
  /** Superpixels hidden (deletion) or shown (insertion) at each point, 0..K, increasing. */
  counts: number[];
  /** The model's score of the class at each point; null until scored. */
  scores: (number | null)[];
  /** Area under the curve (counts / K on the x axis); null until done. */
  area: number | null;
  message: string;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/**
 * The `curve` trait as data, for a view of `n` superpixels; null when it is empty or malformed
 * (an order that is not a permutation of 0..n-1, counts not increasing in 0..n, scores of another
 * length or not numbers, an unknown state or mode). Never throws.
 */
export function readCurve(v: unknown, n: number): CurveData | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const c = v as Record<string, unknown>;
  const state = c.state;
  if (state !== "running" && state !== "done" && state !== "error") return null;
  const mode = c.mode;
  if (mode !== "deletion" && mode !== "insertion") return null;
  if (!isInt(c.label) || typeof c.ranking !== "string") return null;
  const { order, counts, scores } = c;
  if (!Array.isArray(order) || order.length !== n || n <= 0) return null;
  const seen = new Uint8Array(n);
  for (const id of order) {
    if (!isInt(id) || id < 0 || id >= n || seen[id] === 1) return null;
    seen[id] = 1;
  }
  if (!Array.isArray(counts) || counts.length < 2) return null;
  for (let i = 0; i < counts.length; i++) {
    const k = counts[i];
    if (!isInt(k) || k < 0 || k > n || (i > 0 && k <= counts[i - 1])) return null;
  }
  if (!Array.isArray(scores) || scores.length !== counts.length) return null;
  const clean: (number | null)[] = [];
  for (const s of scores) {
    if (s === null) clean.push(null);
    else if (typeof s === "number" && Number.isFinite(s)) clean.push(s);
    else return null;
  }
  const area = typeof c.area === "number" && Number.isFinite(c.area) ? c.area : null;
  return {
    state,
    label: c.label,
    labelName: typeof c.label_name === "string" ? c.label_name : "",
    ranking: c.ranking,
    mode,
    order: order as number[],
    counts: counts as number[],
    scores: clean,
    area,
    message: typeof c.message === "string" ? c.message : "",
  };
}

/** The mask of a curve point: deletion hides the first `count` of `order`, insertion shows only them. */
export function curveMask(order: readonly number[], count: number, mode: CurveMode): boolean[] {
  const out = new Array<boolean>(order.length).fill(mode === "deletion");
  for (let i = 0; i < count && i < order.length; i++) out[order[i]] = mode !== "deletion";
  return out;
}

/** Where `mask` sits on the x axis: superpixels hidden (deletion) or shown (insertion). */
export function maskCount(mask: Mask, mode: CurveMode): number {
  let shown = 0;
  for (const v of mask) if (v) shown++;
  return mode === "deletion" ? mask.length - shown : shown;
}

/**
 * The index of the curve point whose mask is `mask`, or -1 when the mask is not on the curve. A
 * mask is on it when the superpixels it hides (deletion) or shows (insertion) are exactly a prefix
 * of the order, of one of the curve's counts.
 */
export function pointOfMask(
  curve: Pick<CurveData, "order" | "counts" | "mode">,
  mask: Mask,
): number {
  const { order, counts, mode } = curve;
  if (mask.length !== order.length) return -1;
  const count = maskCount(mask, mode);
  const i = counts.indexOf(count);
  if (i < 0) return -1;
  const inPrefix = mode !== "deletion"; // the value a prefix superpixel has in the mask
  for (let j = 0; j < count; j++) if (mask[order[j]] !== inPrefix) return -1;
  return i;
}

/** The plot area: the SVG's size and the margins around the axes, in CSS pixels. */
export interface PlotBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const PLOT_BOX: PlotBox = {
  width: 320,
  height: 150,
  left: 36,
  right: 10,
  top: 8,
  bottom: 30,
};

/** x position of `count` superpixels out of `n`. */
export function xOf(count: number, n: number, box: PlotBox = PLOT_BOX): number {
  const w = box.width - box.left - box.right;
  return box.left + (n > 0 ? (count / n) * w : 0);
}

/** y position of a score in 0..1 (clamped). */
export function yOf(score: number, box: PlotBox = PLOT_BOX): number {
  const h = box.height - box.top - box.bottom;
  return box.top + (1 - Math.max(0, Math.min(1, score))) * h;
}

/**
 * The SVG path of the scored points: "M x y L x y ...", a new "M" after every unscored point, so a
 * curve being scored shows its finished stretches only. "" when nothing is scored.
 */
export function curvePath(curve: Pick<CurveData, "counts" | "scores">, n: number, box = PLOT_BOX) {
  let d = "";
  let pen = false;
  curve.counts.forEach((count, i) => {
    const s = curve.scores[i];
    if (s === null) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${xOf(count, n, box).toFixed(1)} ${yOf(s, box).toFixed(1)}`;
    pen = true;
  });
  return d;
}

/**
 * Hit-testing: the index of the point nearest to the pointer's x (CSS pixels from the SVG's left
 * edge, the SVG drawn `drawnWidth` wide); -1 when the pointer is farther from every point than
 * half a step (at least 6 SVG units), or there are no points.
 */
export function nearestPoint(
  counts: readonly number[],
  n: number,
  x: number,
  drawnWidth: number,
  box: PlotBox = PLOT_BOX,
): number {
  if (counts.length === 0 || drawnWidth <= 0 || n <= 0) return -1;
  const px = (x * box.width) / drawnWidth; // into the SVG's own coordinates
  let best = -1;
  let dist = Number.POSITIVE_INFINITY;
  counts.forEach((c, i) => {
    const d = Math.abs(xOf(c, n, box) - px);
    if (d < dist) {
      dist = d;
      best = i;
    }
  });
  const step = counts.length > 1 ? (box.width - box.left - box.right) / (counts.length - 1) : 1;
  return dist <= Math.max(step / 2, 6) ? best : -1;
}

/** The point a key moves the keyboard cursor to (arrows, Home, End), or null for other keys. */
export function cursorKey(key: string, cursor: number, points: number): number | null {
  if (points <= 0) return null;
  switch (key) {
    case "ArrowRight":
    case "ArrowUp":
      return cursor < 0 ? 0 : Math.min(points - 1, cursor + 1);
    case "ArrowLeft":
    case "ArrowDown":
      return cursor < 0 ? 0 : Math.max(0, cursor - 1);
    case "Home":
      return 0;
    case "End":
      return points - 1;
    default:
      return null;
  }
}

/** Words for the x axis. */
export function axisLabel(mode: CurveMode): string {
  return mode === "deletion"
    ? "superpixels hidden, in ranking order"
    : "superpixels shown, in ranking order";
}

/** The text of one point: "5 hidden: 0.4312" (null: "not scored yet"). */
export function pointText(count: number, score: number | null, mode: CurveMode): string {
  const what = mode === "deletion" ? "hidden" : "shown";
  return `${count} ${what}: ${score === null ? "not scored yet" : score.toFixed(4)}`;
}

/** The caption under the plot. */
export function curveCaption(curve: CurveData | null, offline: boolean): string {
  if (curve === null) return offline ? "not computed in this file" : "scoring…";
  if (curve.state === "error") return `the curve failed: ${curve.message}`;
  if (curve.state === "running" || curve.area === null) {
    const done = curve.scores.filter((s) => s !== null).length;
    return offline
      ? `${done} of ${curve.scores.length} points scored before saving`
      : `scoring… ${done} of ${curve.scores.length} points`;
  }
  const better = curve.mode === "deletion" ? "lower" : "higher";
  const of = curve.labelName === "" ? "" : `score of “${curve.labelName}” · `;
  return `${of}area ${curve.area.toFixed(3)} (${better} = the ranking finds what matters sooner)`;
}

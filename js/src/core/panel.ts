/**
 * What the panel shows, computed from a trait snapshot: status, score cells, class-table rows,
 * the new-top banner, the probe history and the top-k labels. Pure and DOM-free.
 */

import type { FlipInfo } from "../protocol";
import { formatChange, formatProb, formatSigned } from "./format";
import type { Mask } from "./masks";
import { hiddenIds } from "./masks";
import type { ClassTableRow, ScoreSummary } from "./scores";
import type { Snapshot } from "./traits";

/** Number of probes shown in the history list. */
export const HISTORY_ROWS = 20;
/** Number of current top classes in the class table. */
export const TABLE_ROWS = 10;

export type StatusText = "ready" | "scoring…" | "error" | "saved file";

/** The "Probability now" text for a new mask in a saved file: there is no model to ask. */
export const OFFLINE_NOW = "no model in a saved file";
/** The surrogate row's label in a saved file, so its number is never taken for the model's. */
export const OFFLINE_SURROGATE_LABEL = "Surrogate (not the model)";

export interface StatusView {
  text: StatusText;
  /** The `status` trait as sent (the `data-status` attribute). */
  raw: string;
  className: string;
  /** Messages shown in the error box (none: the box is hidden). */
  errors: string[];
}

/** Status line and error box; `localError` is the front end's own error (e.g. a bad PNG). */
export function statusView(
  s: Pick<Snapshot, "status" | "error" | "rev" | "scoredRev"> & { offline?: boolean },
  localError: string,
): StatusView {
  const errors = [localError, s.error].filter((m) => m !== "");
  let text: StatusText;
  if (localError !== "") text = "error";
  else if (s.offline === true) text = "saved file";
  else if (errors.length > 0 || s.status === "error") text = "error";
  else if (s.status === "scoring" || s.scoredRev !== s.rev) text = "scoring…";
  else text = "ready";
  const kind = text === "scoring…" ? "scoring" : text === "saved file" ? "offline" : text;
  return { text, raw: s.status, className: `lime-status lime-status-${kind}`, errors };
}

/** A number cell: its text and full-precision value (undefined: `data-value` is empty). */
export interface Cell {
  value: number | undefined;
  text: string;
}

export interface ScoreCells {
  now: Cell;
  original: Cell;
  change: Cell;
  surrogate: Cell;
  r2: Cell;
  stability: Cell;
}

/**
 * The score list; while scoring (`!s.current`) the mask-dependent cells show placeholders, and in
 * a saved file (`offline`) a new mask's model score says there is no model.
 */
export function scoreCells(s: ScoreSummary, offline = false): ScoreCells {
  const cell = (value: number | undefined, text: string): Cell => ({ value, text });
  const waiting = offline ? OFFLINE_NOW : "scoring…";
  return {
    now: s.current ? cell(s.now, formatProb(s.now)) : cell(undefined, waiting),
    original: cell(s.original, formatProb(s.original)),
    change: s.current ? cell(s.change, formatChange(s.change, s.original)) : cell(undefined, "…"),
    // Known without the model (computed from the weights), so shown at once, also while scoring.
    surrogate:
      s.surrogate !== undefined ? cell(s.surrogate, formatProb(s.surrogate)) : cell(undefined, "…"),
    r2: cell(s.r2, formatProb(s.r2, 3)),
    stability: cell(s.stability, formatProb(s.stability, 2)),
  };
}

/** Label and explanation (`title`) of the stability row, for top-`k` (undefined: "k"). */
export function stabilityTexts(k: number | undefined): { label: string; title: string } {
  const top = `top ${k ?? "k"}`;
  return {
    label: `Stability (${top})`,
    title:
      `Expected overlap (Jaccard) of the ${top.replace(" ", "-")} superpixels between two runs ` +
      "with different random seeds, estimated from bootstrap refits: 1 = the same superpixels " +
      "every time.",
  };
}

/** The top-k status row: label, text and explanation (`title`). */
export interface TopKStatusRow {
  label: string;
  text: string;
  title: string;
}

/**
 * The "Top k" row under the stability row, for the summary's `topKStatus` and `stabilityK`
 * (undefined k: "k"); null when the status is unknown (no refits, older message): the row is hidden.
 */
export function topKStatusRow(
  s: Pick<ScoreSummary, "topKStatus" | "stabilityK">,
): TopKStatusRow | null {
  if (s.topKStatus === undefined) return null;
  const k = s.stabilityK ?? "k";
  return {
    label: `Top ${k}`,
    text: s.topKStatus,
    title:
      `Whether the samples decide the top ${k} superpixels, from bootstrap refits. ` +
      `Settled: in the top ${k} in at least 90% of refits. ` +
      "A tie: the remaining places are contested only by superpixels whose weights are practically " +
      "equal (within the tie tolerance, 15% of the largest weight by default), so their order does not matter. " +
      "Undecided: more samples would decide.",
  };
}

/** CSS classes of a class-table row. */
export function rowClass(r: ClassTableRow): string {
  const cls = ["lime-class-row"];
  if (r.isSelected) cls.push("lime-row-selected");
  if (r.overtakesOriginalTop) cls.push("lime-row-overtook");
  if (r.isNewTop) cls.push("lime-row-newtop");
  return cls.join(" ");
}

/** CSS classes of a rank cell: up / down arrows are coloured. */
export function rankClass(change: number | null): string {
  if (change !== null && change > 0) return "lime-rank lime-up";
  if (change !== null && change < 0) return "lime-rank lime-down";
  return "lime-rank";
}

export function rankTitle(r: ClassTableRow): string {
  return r.originalRank === undefined
    ? `rank ${r.rank} (not ranked originally)`
    : `rank ${r.rank}, originally ${r.originalRank}`;
}

/** Banner announcing a new top class; "" when the top class is unchanged. */
export function topBannerText(rows: readonly ClassTableRow[], topChanged: boolean): string {
  const newTop = rows.find((r) => r.isNewTop);
  if (!topChanged || newTop === undefined) return "";
  const oldTop = rows.find((r) => r.isOriginalTop);
  return `New top class: ${newTop.name}${oldTop ? ` (originally ${oldTop.name})` : ""}`;
}

export interface ProbeItem {
  rev: number;
  text: string;
  /** Hidden superpixels of the probe (what "restore" brings back). */
  hidden: number[];
  /** The probe of the current rev. */
  current: boolean;
}

/** The latest `limit` probes, latest first. */
export function historyItems(
  s: Pick<Snapshot, "history" | "classes" | "rev">,
  limit = HISTORY_ROWS,
): ProbeItem[] {
  const names = new Map(s.classes.map((c) => [c.id, c.name]));
  return s.history
    .slice(-limit)
    .reverse()
    .map((p) => {
      const hidden = Array.isArray(p.hidden) ? p.hidden : [];
      const text =
        `rev ${p.rev}: ${hidden.length} hidden · ${names.get(p.label) ?? `class ${p.label}`} ` +
        `${formatProb(p.score)} (${formatSigned(p.change)}) · top: ${p.top}`;
      return { rev: p.rev, text, hidden, current: p.rev === s.rev };
    });
}

/** The "Hidden" cell and the canvas' accessible name. */
export function maskSummary(mask: Mask): { hidden: string; canvasLabel: string } {
  const nHidden = hiddenIds(mask).length;
  return {
    hidden: `${nHidden} of ${mask.length} superpixels`,
    canvasLabel:
      `Image with ${mask.length} superpixels, ${nHidden} hidden. Click a superpixel to hide or ` +
      "show it; with the keyboard, arrow keys pick a superpixel and Enter toggles it.",
  };
}

/** Texts of the top-k buttons. */
export function topKTexts(k: number): {
  hide: string;
  keep: string;
  hideLabel: string;
  keepLabel: string;
} {
  return {
    hide: `Hide top ${k}`,
    keep: `Keep top ${k}`,
    hideLabel: `Hide the ${k} superpixels with the largest positive weights`,
    keepLabel: `Show only the ${k} superpixels with the largest positive weights`,
  };
}

/**
 * The "LIME vs Grad-CAM" cell: the rank correlation and the shared top superpixels, e.g.
 * "ρ 0.41 · top 5 shared: 2"; null when the class has no (usable) agreement.
 */
export function agreementCell(a: unknown): Cell | null {
  if (typeof a !== "object" || a === null) return null;
  const { spearman, overlap, k } = a as Record<string, unknown>;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) return null;
  if (typeof overlap !== "number" || !Number.isInteger(overlap) || overlap < 0 || overlap > k) {
    return null;
  }
  const rho = typeof spearman === "number" && Number.isFinite(spearman) ? spearman : undefined;
  const rhoText = rho === undefined ? "—" : rho.toFixed(2);
  return { value: rho, text: `ρ ${rhoText} · top ${k} shared: ${overlap}` };
}

/** What the smallest-flip row shows. */
export interface FlipView {
  /** The result line ("" before any search). */
  text: string;
  /** A search is running: the button is disabled. */
  running: boolean;
  /** The superpixels to hide for "Hide them" (null: nothing to show). */
  hidden: number[] | null;
}

/** The smallest-flip row for the `flip` trait, on K = `n` superpixels. */
export function flipView(f: FlipInfo, n: number): FlipView {
  if (f.state === "running") {
    return {
      text: `searching (at most ${f.budget ?? "?"} forward passes)…`,
      running: true,
      hidden: null,
    };
  }
  if (f.state === "error")
    return { text: `search failed: ${f.message ?? ""}`, running: false, hidden: null };
  if (f.state !== "done") return { text: "", running: false, hidden: null };
  const passes = `${f.forward_passes ?? "?"} forward passes`;
  if (f.flipped !== true) {
    return {
      text: `no flip of “${f.label_name ?? ""}” found (${passes}, ${f.stop_reason ?? ""})`,
      running: false,
      hidden: null,
    };
  }
  const hidden = Array.isArray(f.hidden)
    ? f.hidden.filter((i) => Number.isInteger(i) && i >= 0 && i < n)
    : [];
  const prefix = f.greedy_size == null ? "" : `; LIME's top ${f.greedy_size} needed`;
  return {
    text:
      `hiding ${hidden.length} superpixel${hidden.length === 1 ? "" : "s"} makes it ` +
      `“${f.new_class_name ?? "?"}” (${passes}${prefix})`,
    running: false,
    hidden,
  };
}

/**
 * Score bookkeeping for the panel and the class table. Pure and DOM-free.
 */

import type { ClassInfo, ScoreRow } from "../protocol";
import { stabilityOf, topKOf, topKStatusOf } from "./uncertainty";

export function findRow(rows: readonly ScoreRow[], id: number): ScoreRow | undefined {
  return rows.find((r) => r.id === id);
}

/** The rank-1 row (lowest rank) or undefined for no rows. */
export function topRow(rows: readonly ScoreRow[]): ScoreRow | undefined {
  let best: ScoreRow | undefined;
  for (const r of rows) if (best === undefined || r.rank < best.rank) best = r;
  return best;
}

/** Score of `id` in `rows`, or undefined when the class is not listed. */
export function scoreOf(rows: readonly ScoreRow[], id: number): number | undefined {
  return findRow(rows, id)?.prob;
}

/** Whether the current top class differs from the original one (false when either is empty). */
export function topClassChanged(
  original: readonly ScoreRow[],
  current: readonly ScoreRow[],
): boolean {
  const a = topRow(original);
  const b = topRow(current);
  return a !== undefined && b !== undefined && a.id !== b.id;
}

/** Rank change of a class: original rank - current rank (positive = moved up); null if unknown. */
export function rankChange(
  original: readonly ScoreRow[],
  current: ScoreRow | undefined,
): number | null {
  if (current === undefined) return null;
  const o = findRow(original, current.id);
  return o === undefined ? null : o.rank - current.rank;
}

export interface ClassTableRow {
  id: number;
  name: string;
  /** Current score, or undefined before anything was scored. */
  prob: number | undefined;
  /** Score on the original image, or undefined when the class was not in the original rows. */
  original: number | undefined;
  rank: number;
  originalRank: number | undefined;
  /** original rank - current rank; null when unknown. */
  rankChange: number | null;
  /** Ranked above the class that was top on the original image. */
  overtakesOriginalTop: boolean;
  /** The current top class, which differs from the original top class. */
  isNewTop: boolean;
  /** The class that was top on the original image. */
  isOriginalTop: boolean;
  /** The tracked (selected) class. */
  isSelected: boolean;
}

/**
 * Rows of the class table: the current top `k` classes plus the selected class and the original
 * top class if they are not among them, ordered by current rank. With no current scores yet, the
 * original rows are used (current score undefined).
 */
export function classTable(
  original: readonly ScoreRow[],
  current: readonly ScoreRow[],
  selected: number,
  k = 10,
): ClassTableRow[] {
  const hasCurrent = current.length > 0;
  const rows = [...(hasCurrent ? current : original)].sort((a, b) => a.rank - b.rank);
  const origTop = topRow(original);
  const origTopNow = origTop === undefined ? undefined : findRow(rows, origTop.id);
  const changed = hasCurrent && topClassChanged(original, current);
  const out: ClassTableRow[] = [];
  rows.forEach((r, i) => {
    const isOriginalTop = origTop !== undefined && r.id === origTop.id;
    if (i >= k && r.id !== selected && !isOriginalTop) return;
    const o = findRow(original, r.id);
    out.push({
      id: r.id,
      name: r.name,
      prob: hasCurrent ? r.prob : undefined,
      original: o?.prob,
      rank: r.rank,
      originalRank: o?.rank,
      rankChange: hasCurrent ? rankChange(original, r) : 0,
      overtakesOriginalTop:
        hasCurrent && origTopNow !== undefined && !isOriginalTop && r.rank < origTopNow.rank,
      isNewTop: changed && i === 0,
      isOriginalTop,
      isSelected: r.id === selected,
    });
  });
  return out;
}

export interface ScoreSummary {
  /** Current score of the selected class (undefined while scoring or when not listed). */
  now: number | undefined;
  /** Score of the selected class on the original image. */
  original: number | undefined;
  /** now - original. */
  change: number | undefined;
  /**
   * The surrogate's prediction for the mask on screen, computed here from the class' weights and
   * intercept (so it is shown in the same frame as the click); Python's value for the scored mask
   * when the weights cannot be used.
   */
  surrogate: number | undefined;
  /** R² of the selected class' surrogate. */
  r2: number | undefined;
  /** Expected top-k Jaccard index of the selected class' explanation (undefined: unknown). */
  stability: number | undefined;
  /** The k of `stability` (undefined: unknown). */
  stabilityK: number | undefined;
  /**
   * Whether the refits decide the top `stabilityK` superpixels, in words (undefined: unknown;
   * optional, like the field in older messages).
   */
  topKStatus?: string | undefined;
  /** Whether scores/surrogate belong to the current rev. */
  current: boolean;
  topChanged: boolean;
}

export interface SummaryInput {
  classes: readonly ClassInfo[];
  originalScores: readonly ScoreRow[];
  scores: readonly ScoreRow[];
  surrogate: readonly number[];
  selected: number;
  rev: number;
  scoredRev: number;
  /** `visible`, the mask on screen (omitted: only Python's surrogate value is used). */
  mask?: readonly boolean[];
}

const finite = (x: unknown): number | undefined =>
  typeof x === "number" && Number.isFinite(x) ? x : undefined;

/**
 * The linear surrogate's prediction for `mask`: intercept + the sum of the weights of the visible
 * superpixels, as `Explanation.surrogate_prediction` computes it in Python. Undefined when the
 * weights are not one finite number per superpixel or the intercept is not finite.
 */
export function surrogatePrediction(
  info: Pick<ClassInfo, "weights" | "intercept"> | undefined,
  mask: readonly boolean[],
): number | undefined {
  const intercept = finite(info?.intercept);
  const weights = info?.weights;
  if (intercept === undefined || !Array.isArray(weights) || weights.length !== mask.length) {
    return undefined;
  }
  let sum = intercept;
  for (let i = 0; i < mask.length; i++) {
    const w = finite(weights[i]);
    if (w === undefined) return undefined;
    if (mask[i]) sum += w;
  }
  return sum;
}

/** Everything the score panel shows for the selected class. */
export function summarize(input: SummaryInput): ScoreSummary {
  const index = input.classes.findIndex((c) => c.id === input.selected);
  const info = index >= 0 ? input.classes[index] : undefined;
  const current = input.scoredRev === input.rev;
  const original = finite(info?.original) ?? finite(scoreOf(input.originalScores, input.selected));
  const now = current ? finite(scoreOf(input.scores, input.selected)) : undefined;
  const local = input.mask === undefined ? undefined : surrogatePrediction(info, input.mask);
  const surrogate = local ?? (current && index >= 0 ? finite(input.surrogate[index]) : undefined);
  return {
    now,
    original,
    change: now !== undefined && original !== undefined ? now - original : undefined,
    surrogate,
    r2: finite(info?.r2),
    stability: stabilityOf(info),
    stabilityK: topKOf(info),
    topKStatus: topKStatusOf(info),
    current,
    topChanged:
      current && input.scores.length > 0 && topClassChanged(input.originalScores, input.scores),
  };
}

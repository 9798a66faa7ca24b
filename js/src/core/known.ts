/**
 * The model's scores of masks the view already knows: pre-scored by the kernel (a `scores` message)
 * or scored earlier. A click onto such a mask shows the model's score in the click's own frame; the
 * kernel's answer follows (the same numbers, or the same to about 7 digits when the kernel scored the
 * mask again alone after it left its own cache). Pure and DOM-free.
 */

import type { ScoreRow } from "../protocol";
import type { Mask } from "./masks";
import type { Snapshot } from "./traits";

/** A compact, exact key of a mask: one character per superpixel ("1" shown, "0" hidden). */
export function maskKey(mask: Mask): string {
  let key = "";
  for (const v of mask) key += v ? "1" : "0";
  return key;
}

/** The key of the mask of `n` superpixels with exactly `hidden` hidden; null for a bad id. */
export function hiddenKey(n: number, hidden: readonly unknown[]): string | null {
  const chars = new Array<string>(n).fill("1");
  for (const id of hidden) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= n) return null;
    chars[id] = "0";
  }
  return chars.join("");
}

/** Whether `rows` is a usable list of score rows (what the panel reads of each). */
function rowsUsable(rows: unknown): rows is ScoreRow[] {
  return (
    Array.isArray(rows) &&
    rows.length > 0 &&
    rows.every(
      (r) =>
        typeof r === "object" &&
        r !== null &&
        Number.isInteger((r as ScoreRow).id) &&
        typeof (r as ScoreRow).name === "string" &&
        typeof (r as ScoreRow).prob === "number" &&
        Number.isFinite((r as ScoreRow).prob) &&
        Number.isInteger((r as ScoreRow).rank),
    )
  );
}

/** A bounded map from mask keys to the model's score rows; the oldest entries go first. */
export class KnownScores {
  private readonly map = new Map<string, ScoreRow[]>();

  constructor(readonly limit = 4096) {}

  get size(): number {
    return this.map.size;
  }

  get(mask: Mask): ScoreRow[] | undefined {
    return this.map.get(maskKey(mask));
  }

  set(key: string, rows: ScoreRow[]): void {
    this.map.delete(key);
    this.map.set(key, rows);
    while (this.map.size > this.limit) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }

  /**
   * Take the entries of a kernel message `{type: "scores", entries: [{hidden, scores}]}` for a
   * view of `n` superpixels. Returns how many were taken; malformed entries are skipped, and a
   * message of another type is not read (-1).
   */
  addMessage(msg: unknown, n: number): number {
    if (typeof msg !== "object" || msg === null || (msg as { type?: unknown }).type !== "scores") {
      return -1;
    }
    const entries = (msg as { entries?: unknown }).entries;
    if (!Array.isArray(entries)) return 0;
    let taken = 0;
    for (const e of entries) {
      if (typeof e !== "object" || e === null) continue;
      const { hidden, scores } = e as { hidden?: unknown; scores?: unknown };
      if (!Array.isArray(hidden) || !rowsUsable(scores)) continue;
      const key = hiddenKey(n, hidden);
      if (key === null) continue;
      this.set(key, scores);
      taken++;
    }
    return taken;
  }

  /**
   * Remember the kernel's answer for the mask on screen: only when the newest probe of the history
   * is that answer (same rev, same hidden superpixels), so scores that arrive next to another
   * mask are never kept under it.
   */
  remember(s: Pick<Snapshot, "mask" | "rev" | "scoredRev" | "scores" | "history">): void {
    if (s.scoredRev !== s.rev || !rowsUsable(s.scores)) return;
    const last = s.history.at(-1);
    if (last === undefined || last.rev !== s.rev || !Array.isArray(last.hidden)) return;
    const key = maskKey(s.mask);
    if (hiddenKey(s.mask.length, last.hidden) !== key) return;
    this.set(key, s.scores);
  }
}

/**
 * The snapshot the panel shows: while the kernel has not answered the mask on screen, the model's
 * scores of that mask when they are known (then the score is current, `known` is true).
 */
export function withKnownScores(s: Snapshot, known: KnownScores): Snapshot {
  if (s.scoredRev === s.rev || s.offline) return s;
  const rows = known.get(s.mask);
  if (rows === undefined) return s;
  return {
    ...s,
    scores: rows,
    scoredRev: s.rev,
    status: s.status === "scoring" ? "ready" : s.status,
    known: true,
  };
}

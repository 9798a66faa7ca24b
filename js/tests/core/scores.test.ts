import { describe, expect, it } from "vitest";
import {
  classTable,
  findRow,
  rankChange,
  scoreOf,
  summarize,
  surrogatePrediction,
  topClassChanged,
  topRow,
} from "../../src/core/scores";
import type { ClassInfo, ScoreRow } from "../../src/protocol";

const original: ScoreRow[] = [
  { id: 281, name: "tabby", prob: 0.6, rank: 1 },
  { id: 282, name: "tiger cat", prob: 0.25, rank: 2 },
  { id: 285, name: "Egyptian cat", prob: 0.1, rank: 3 },
  { id: 999, name: "toilet tissue", prob: 0.01, rank: 4 },
];

const current: ScoreRow[] = [
  { id: 282, name: "tiger cat", prob: 0.5, rank: 1 },
  { id: 285, name: "Egyptian cat", prob: 0.3, rank: 2 },
  { id: 281, name: "tabby", prob: 0.15, rank: 3 },
  { id: 7, name: "cock", prob: 0.02, rank: 4 },
  { id: 999, name: "toilet tissue", prob: 0.01, rank: 5 },
];

const classes: ClassInfo[] = [
  { id: 281, name: "tabby", weights: [0.1, -0.2], intercept: 0.3, r2: 0.81, original: 0.6 },
  { id: 282, name: "tiger cat", weights: [0.05, 0.02], intercept: 0.2, r2: 0.7, original: 0.25 },
];

describe("lookups", () => {
  it("findRow / scoreOf / topRow", () => {
    expect(findRow(current, 285)?.rank).toBe(2);
    expect(scoreOf(current, 281)).toBe(0.15);
    expect(scoreOf(current, 12345)).toBeUndefined();
    expect(topRow([...current].reverse())?.id).toBe(282);
    expect(topRow([])).toBeUndefined();
  });
});

describe("rank changes", () => {
  it("is original rank - current rank; null for classes not ranked originally", () => {
    expect(rankChange(original, findRow(current, 282))).toBe(1);
    expect(rankChange(original, findRow(current, 281))).toBe(-2);
    expect(rankChange(original, findRow(current, 7))).toBeNull();
    expect(rankChange(original, undefined)).toBeNull();
  });

  it("detects a changed top class", () => {
    expect(topClassChanged(original, current)).toBe(true);
    expect(topClassChanged(original, original)).toBe(false);
    expect(topClassChanged(original, [])).toBe(false);
  });
});

describe("classTable", () => {
  it("marks the new top, rows overtaking the original top and the selected row", () => {
    const rows = classTable(original, current, 281, 10);
    expect(rows.map((r) => r.id)).toEqual([282, 285, 281, 7, 999]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(282)).toMatchObject({
      isNewTop: true,
      overtakesOriginalTop: true,
      rankChange: 1,
      prob: 0.5,
      original: 0.25,
    });
    expect(byId.get(285)).toMatchObject({ isNewTop: false, overtakesOriginalTop: true });
    expect(byId.get(281)).toMatchObject({
      isOriginalTop: true,
      isSelected: true,
      overtakesOriginalTop: false,
      rankChange: -2,
    });
    expect(byId.get(7)).toMatchObject({
      original: undefined,
      originalRank: undefined,
      rankChange: null,
    });
  });

  it("no highlight when the top class is unchanged", () => {
    const rows = classTable(original, original, 282);
    expect(rows.some((r) => r.isNewTop || r.overtakesOriginalTop)).toBe(false);
    expect(rows.every((r) => r.rankChange === 0)).toBe(true);
  });

  it("keeps the selected and original top class beyond k", () => {
    const rows = classTable(original, current, 999, 2);
    expect(rows.map((r) => r.id)).toEqual([282, 285, 281, 999]);
  });

  it("falls back to the original rows before anything was scored", () => {
    const rows = classTable(original, [], 281, 2);
    expect(rows.map((r) => r.id)).toEqual([281, 282]);
    expect(rows[0]).toMatchObject({ prob: undefined, original: 0.6, isNewTop: false });
  });
});

/** A snapshot with both classes explained, the mask scored (rev == scoredRev), class 281 selected. */
const base = {
  classes,
  originalScores: original,
  scores: current,
  surrogate: [0.2, 0.31],
  selected: 281,
  rev: 4,
  scoredRev: 4,
};

describe("summarize", () => {
  it("gives now, original, change, surrogate and r2 for the selected class", () => {
    const s = summarize(base);
    expect(s.current).toBe(true);
    expect(s.now).toBe(0.15);
    expect(s.original).toBe(0.6);
    expect(s.change).toBeCloseTo(-0.45);
    expect(s.surrogate).toBe(0.2);
    expect(s.r2).toBe(0.81);
    expect(s.topChanged).toBe(true);
    expect(summarize({ ...base, selected: 282 }).surrogate).toBe(0.31);
  });

  it("has no current values while scoring (scored_rev != rev)", () => {
    const s = summarize({ ...base, rev: 5 });
    expect(s.current).toBe(false);
    expect(s.now).toBeUndefined();
    expect(s.change).toBeUndefined();
    expect(s.surrogate).toBeUndefined();
    expect(s.original).toBe(0.6);
    expect(s.topChanged).toBe(false);
  });

  it("falls back to original_scores for the original score", () => {
    const s = summarize({ ...base, classes: [], selected: 285 });
    expect(s.original).toBe(0.1);
    expect(s.now).toBe(0.3);
    expect(s.surrogate).toBeUndefined();
    expect(s.r2).toBeUndefined();
    expect(s.stability).toBeUndefined();
    expect(s.stabilityK).toBeUndefined();
  });

  it("gives the stability of the selected class and its k, ignoring malformed values", () => {
    const withStability = [{ ...classes[0], stability: 0.834, confidence_k: 5 }, classes[1]];
    const s = summarize({ ...base, classes: withStability, rev: 5 });
    expect(s.stability).toBe(0.834);
    expect(s.stabilityK).toBe(5);
    // Old messages (no fields), null, and malformed values: unknown.
    expect(summarize(base).stability).toBeUndefined();
    for (const bad of [null, Number.NaN, 1.5, -0.1, "0.8"]) {
      const c = [{ ...classes[0], stability: bad as number | null, confidence_k: 2.5 }];
      const t = summarize({ ...base, classes: c });
      expect(t.stability).toBeUndefined();
      expect(t.stabilityK).toBeUndefined();
    }
  });
});

describe("summarize: top-k status", () => {
  it("gives the selected class' top-k status, also while scoring", () => {
    const text = "top 5: 4 settled, the 5th a tie between #23 and #17";
    const withStatus = [
      { ...classes[0], top_k_status: text },
      { ...classes[1], top_k_status: "top 5 settled" },
    ];
    expect(summarize({ ...base, classes: withStatus }).topKStatus).toBe(text);
    expect(summarize({ ...base, classes: withStatus, rev: 5 }).topKStatus).toBe(text);
    expect(summarize({ ...base, classes: withStatus, selected: 282 }).topKStatus).toBe(
      "top 5 settled",
    );
  });

  it("is unknown without refits, for older messages, malformed values or an unexplained class", () => {
    expect(summarize(base).topKStatus).toBeUndefined();
    for (const bad of [null, 3, "x".repeat(301), ""]) {
      const c = [{ ...classes[0], top_k_status: bad as string | null }];
      expect(summarize({ ...base, classes: c }).topKStatus).toBeUndefined();
    }
    const c = [{ ...classes[0], top_k_status: "top 5 settled" }];
    expect(summarize({ ...base, classes: c, selected: 285 }).topKStatus).toBeUndefined();
  });
});

describe("surrogatePrediction", () => {
  it("is the intercept plus the weights of the visible superpixels", () => {
    expect(surrogatePrediction(classes[0], [true, true])).toBeCloseTo(0.2, 12);
    expect(surrogatePrediction(classes[0], [false, true])).toBeCloseTo(0.1, 12);
    expect(surrogatePrediction(classes[0], [true, false])).toBeCloseTo(0.4, 12);
    expect(surrogatePrediction(classes[0], [false, false])).toBe(0.3);
  });

  it("is undefined for unusable weights, intercepts or masks", () => {
    expect(surrogatePrediction(undefined, [true])).toBeUndefined();
    expect(surrogatePrediction(classes[0], [true])).toBeUndefined();
    expect(
      surrogatePrediction({ weights: [0.1, Number.NaN], intercept: 0 }, [true, true]),
    ).toBeUndefined();
    expect(
      surrogatePrediction({ weights: [0.1, 0.2], intercept: Number.NaN }, [true, true]),
    ).toBeUndefined();
  });

  it("is what summarize shows for the mask on screen, also while scoring", () => {
    const input = {
      classes,
      originalScores: original,
      scores: current,
      surrogate: [0.9, 0.9],
      selected: 281,
      rev: 5,
      scoredRev: 4,
      mask: [false, true],
    };
    expect(summarize(input).surrogate).toBeCloseTo(0.1, 12);
    expect(summarize(input).now).toBeUndefined();
    // no mask, or weights that do not fit it: Python's value for the scored mask, when current
    expect(summarize({ ...input, mask: [true], rev: 4 }).surrogate).toBe(0.9);
    expect(summarize({ ...input, mask: undefined }).surrogate).toBeUndefined();
  });
});

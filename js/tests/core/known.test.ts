import { describe, expect, it } from "vitest";
import { hiddenKey, KnownScores, maskKey, withKnownScores } from "../../src/core/known";
import { readSnapshot } from "../../src/core/traits";
import type { LimeTraits, ScoreRow } from "../../src/protocol";

const rows: ScoreRow[] = [
  { id: 285, name: "Egyptian cat", prob: 0.6, rank: 1 },
  { id: 281, name: "tabby", prob: 0.2, rank: 2 },
];

const snap = (traits: Partial<Record<keyof LimeTraits, unknown>>) =>
  readSnapshot((name) => traits[name]);

describe("keys", () => {
  it("key a mask, and the mask of some hidden ids, the same way", () => {
    expect(maskKey([true, false, true])).toBe("101");
    expect(hiddenKey(3, [1])).toBe("101");
    expect(hiddenKey(3, [])).toBe("111");
    expect(hiddenKey(3, [3])).toBeNull();
    expect(hiddenKey(3, [-1])).toBeNull();
    expect(hiddenKey(3, [0.5])).toBeNull();
    expect(hiddenKey(3, ["1"])).toBeNull();
  });
});

describe("KnownScores", () => {
  it("takes the entries of a kernel message and skips malformed ones", () => {
    const k = new KnownScores();
    const taken = k.addMessage(
      {
        type: "scores",
        entries: [
          { hidden: [1], scores: rows },
          { hidden: [9], scores: rows }, // id out of range
          { hidden: [0], scores: [] }, // no rows
          { hidden: [0], scores: [{ id: 1, name: "x", prob: "0.5", rank: 1 }] }, // prob not a number
          { hidden: "0", scores: rows },
          null,
        ],
      },
      3,
    );
    expect(taken).toBe(1);
    expect(k.get([true, false, true])).toEqual(rows);
    expect(k.get([false, true, true])).toBeUndefined();
    expect(k.addMessage({ type: "other" }, 3)).toBe(-1);
    expect(k.addMessage(null, 3)).toBe(-1);
    expect(k.addMessage({ type: "scores", entries: "x" }, 3)).toBe(0);
  });

  it("forgets the oldest entries beyond its limit", () => {
    const k = new KnownScores(2);
    k.set("100", rows);
    k.set("010", rows);
    k.set("001", rows);
    expect(k.size).toBe(2);
    expect(k.get([true, false, false])).toBeUndefined();
    expect(k.get([false, false, true])).toEqual(rows);
  });

  it("remembers the kernel's answer for the mask on screen only when it is current", () => {
    const k = new KnownScores();
    const probe = (rev: number, hidden: number[]) => ({
      rev,
      hidden,
      label: 285,
      score: 0.6,
      change: 0,
      top: "Egyptian cat",
    });
    // the mask [shown, hidden] on screen at `rev`, with the kernel's answer for `scoredRev`
    const answer = (rev: number, scoredRev: number, history: ReturnType<typeof probe>[]) =>
      snap({ visible: [true, false], rev, scored_rev: scoredRev, scores: rows, history });
    k.remember(answer(2, 1, [probe(1, [])]));
    expect(k.size).toBe(0);
    // the scores of rev 1 (nothing hidden) next to a new mask whose rev has not arrived yet
    k.remember(answer(1, 1, [probe(1, [])]));
    expect(k.size).toBe(0);
    k.remember(answer(2, 2, []));
    expect(k.size).toBe(0);
    k.remember(answer(2, 2, [probe(1, []), probe(2, [1])]));
    expect(k.get([true, false])).toEqual(rows);
  });
});

describe("withKnownScores", () => {
  it("shows a known mask's model scores as current before the kernel answers", () => {
    const k = new KnownScores();
    k.set("10", rows);
    const waiting = snap({
      visible: [true, false],
      rev: 3,
      scored_rev: 2,
      status: "scoring",
      scores: [],
    });
    const s = withKnownScores(waiting, k);
    expect(s.scoredRev).toBe(3);
    expect(s.scores).toEqual(rows);
    expect(s.known).toBe(true);
    expect(s.status).toBe("ready");
  });

  it("changes nothing for an answered, unknown or offline mask, and keeps an error", () => {
    const k = new KnownScores();
    k.set("10", rows);
    const answered = snap({ visible: [true, false], rev: 3, scored_rev: 3, scores: [] });
    expect(withKnownScores(answered, k)).toBe(answered);
    const unknown = snap({ visible: [false, false], rev: 3, scored_rev: 2 });
    expect(withKnownScores(unknown, k)).toBe(unknown);
    const offline = snap({ visible: [true, false], rev: 3, scored_rev: 2, offline: true });
    expect(withKnownScores(offline, k)).toBe(offline);
    const error = snap({ visible: [true, false], rev: 3, scored_rev: 2, status: "error" });
    expect(withKnownScores(error, k).status).toBe("error");
  });
});

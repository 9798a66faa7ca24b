import { describe, expect, it } from "vitest";
import {
  allVisible,
  clampK,
  hiddenIds,
  hideTopK,
  invert,
  keepTopK,
  maskFromHidden,
  masksEqual,
  normalizeMask,
  reset,
  toggle,
  topKPositive,
  UndoStack,
} from "../../src/core/masks";

describe("mask operations", () => {
  it("toggle flips one entry and does not mutate the input", () => {
    const m = Object.freeze([true, true, false]);
    const t = toggle(m, 0);
    expect(t).toEqual([false, true, false]);
    expect(m).toEqual([true, true, false]);
    expect(t).not.toBe(m);
    expect(toggle(t, 0)).toEqual([true, true, false]);
    expect(toggle(m, 2)).toEqual([true, true, true]);
  });

  it("toggle rejects bad ids", () => {
    expect(() => toggle([true], 1)).toThrow(RangeError);
    expect(() => toggle([true], -1)).toThrow(RangeError);
    expect(() => toggle([true], 0.5)).toThrow(RangeError);
  });

  it("reset and invert return new arrays", () => {
    const m = Object.freeze([false, true, false]);
    expect(reset(m)).toEqual([true, true, true]);
    expect(invert(m)).toEqual([true, false, true]);
    expect(m).toEqual([false, true, false]);
    expect(allVisible(0)).toEqual([]);
  });

  it("hiddenIds / maskFromHidden round-trip", () => {
    const m = [true, false, true, false];
    expect(hiddenIds(m)).toEqual([1, 3]);
    expect(maskFromHidden(4, [1, 3])).toEqual(m);
    expect(maskFromHidden(2, [5, -1, 0.5, 1])).toEqual([true, false]);
  });

  it("masksEqual and normalizeMask", () => {
    expect(masksEqual([true, false], [true, false])).toBe(true);
    expect(masksEqual([true, false], [true, true])).toBe(false);
    expect(masksEqual([true], [true, true])).toBe(false);
    expect(normalizeMask([true, false])).toEqual([true, false]);
    expect(normalizeMask([true, 0, null])).toEqual([true, true, true]);
    expect(normalizeMask(undefined)).toEqual([]);
    expect(normalizeMask("abc")).toEqual([]);
  });
});

describe("clampK", () => {
  it("parses the typed k and clamps it to 1..n", () => {
    expect(clampK("3", 10, 5)).toBe(3);
    expect(clampK("0", 10, 5)).toBe(1);
    expect(clampK("-4", 10, 5)).toBe(1);
    expect(clampK("99", 10, 5)).toBe(10);
    expect(clampK("2.7", 10, 5)).toBe(2);
  });

  it("falls back for text that is not a number, and treats n = 0 as 1", () => {
    expect(clampK("", 10, 5)).toBe(5);
    expect(clampK("abc", 10, 7)).toBe(7);
    expect(clampK("3", 0, 5)).toBe(1);
  });
});

describe("top-k", () => {
  const w = Object.freeze([0.1, -0.5, 0.3, 0.3, 0, 0.05]);

  it("topKPositive orders by weight, ties by lower id, ignores non-positive", () => {
    expect(topKPositive(w, 2)).toEqual([2, 3]);
    expect(topKPositive(w, 3)).toEqual([2, 3, 0]);
    expect(topKPositive(w, 0)).toEqual([]);
    expect(topKPositive(w, -3)).toEqual([]);
    expect(topKPositive(w, 2.9)).toEqual([2, 3]);
    expect(topKPositive([Number.NaN, 1], 5)).toEqual([1]);
  });

  it("k larger than the number of positive weights takes all positive ones", () => {
    expect(topKPositive(w, 100)).toEqual([2, 3, 0, 5]);
    expect(hideTopK(w, 100)).toEqual([false, true, false, false, true, false]);
    expect(keepTopK(w, 100)).toEqual([true, false, true, true, false, true]);
  });

  it("hideTopK hides exactly the top k positive weights (ties: lower id first)", () => {
    expect(hideTopK(w, 1)).toEqual([true, true, false, true, true, true]);
    expect(hideTopK(w, 2)).toEqual([true, true, false, false, true, true]);
    expect(hideTopK(w, 0)).toEqual([true, true, true, true, true, true]);
  });

  it("keepTopK shows only the top k positive weights", () => {
    expect(keepTopK(w, 1)).toEqual([false, false, true, false, false, false]);
    expect(keepTopK(w, 3)).toEqual([true, false, true, true, false, false]);
    expect(keepTopK([-1, -2], 2)).toEqual([false, false]);
    expect(w).toEqual([0.1, -0.5, 0.3, 0.3, 0, 0.05]);
  });

  it("works on typed arrays", () => {
    expect(hideTopK(Float64Array.from([1, 2, 3]), 1)).toEqual([true, true, false]);
  });
});

describe("UndoStack", () => {
  it("starts with nothing to undo or redo", () => {
    const s = new UndoStack(1);
    expect(s.present).toBe(1);
    expect(s.canUndo).toBe(false);
    expect(s.canRedo).toBe(false);
    expect(s.undo()).toBeUndefined();
    expect(s.redo()).toBeUndefined();
    expect(s.present).toBe(1);
  });

  it("undo / redo sequences", () => {
    const s = new UndoStack("a");
    s.push("b");
    s.push("c");
    expect(s.undoDepth).toBe(2);
    expect(s.undo()).toBe("b");
    expect(s.undo()).toBe("a");
    expect(s.canUndo).toBe(false);
    expect(s.canRedo).toBe(true);
    expect(s.redo()).toBe("b");
    expect(s.present).toBe("b");
    expect(s.redo()).toBe("c");
    expect(s.canRedo).toBe(false);
    expect(s.undo()).toBe("b");
  });

  it("push after undo clears the redo branch", () => {
    const s = new UndoStack(0);
    s.push(1);
    s.push(2);
    s.undo();
    expect(s.canRedo).toBe(true);
    s.push(3);
    expect(s.canRedo).toBe(false);
    expect(s.undo()).toBe(1);
    expect(s.undo()).toBe(0);
  });

  it("ignores a push equal to the present (custom equality)", () => {
    const s = new UndoStack<boolean[]>([true, true], 10, masksEqual);
    expect(s.push([true, true])).toBe(false);
    expect(s.canUndo).toBe(false);
    expect(s.push(toggle(s.present, 1))).toBe(true);
    expect(s.present).toEqual([true, false]);
    expect(s.undo()).toEqual([true, true]);
  });

  it("drops the oldest states beyond the limit", () => {
    const s = new UndoStack(0, 3);
    for (let i = 1; i <= 5; i++) s.push(i);
    expect(s.undoDepth).toBe(3);
    expect(s.undo()).toBe(4);
    expect(s.undo()).toBe(3);
    expect(s.undo()).toBe(2);
    expect(s.undo()).toBeUndefined();
  });

  it("clear forgets history", () => {
    const s = new UndoStack(0);
    s.push(1);
    s.undo();
    s.clear(7);
    expect(s.present).toBe(7);
    expect(s.canUndo || s.canRedo).toBe(false);
  });

  it("with mask operations: stored states are never mutated", () => {
    const s = new UndoStack<boolean[]>(allVisible(3), 10, masksEqual);
    s.push(toggle(s.present, 0));
    s.push(toggle(s.present, 2));
    s.push(invert(s.present));
    expect(s.present).toEqual([true, false, true]);
    expect(s.undo()).toEqual([false, true, false]);
    expect(s.undo()).toEqual([false, true, true]);
    expect(s.undo()).toEqual([true, true, true]);
    expect(s.redo()).toEqual([false, true, true]);
  });
});

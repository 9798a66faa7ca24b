import { describe, expect, it } from "vitest";
import { pointsBetween, Stroke } from "../../src/core/paint";

describe("Stroke", () => {
  it("hides every superpixel it crosses when it starts on a shown one", () => {
    const base = [true, true, false, true];
    const s = new Stroke(base, 0);
    expect(s.paints).toBe(false);
    expect(s.add(1)).toBe(true);
    expect(s.add(1)).toBe(false); // already painted
    expect(s.add(2)).toBe(false); // already hidden: crossed, not changed
    expect(s.preview).toEqual([false, false, false, true]);
    expect(s.crossed).toBe(3);
    expect(base).toEqual([true, true, false, true]); // the mask it started from is not touched
  });

  it("shows every superpixel it crosses when it starts on a hidden one", () => {
    const s = new Stroke([false, false, true], 1);
    expect(s.paints).toBe(true);
    s.add(0);
    expect(s.preview).toEqual([true, true, true]);
  });

  it("ignores ids outside 0..K-1 (the pointer left the image)", () => {
    const s = new Stroke([true, true], 0);
    for (const id of [-1, 2, 1.5, Number.NaN]) expect(s.add(id)).toBe(false);
    expect(s.crossed).toBe(1);
    expect(s.preview).toEqual([false, true]);
  });

  it("returns a copy as preview", () => {
    const s = new Stroke([true], 0);
    s.preview[0] = true;
    expect(s.preview).toEqual([false]);
  });
});

describe("pointsBetween", () => {
  it("samples the segment every step pixels, ending on its end point", () => {
    const pts = pointsBetween(0, 0, 10, 0, 2);
    expect(pts).toHaveLength(5);
    expect(pts[0]).toEqual([2, 0]);
    expect(pts.at(-1)).toEqual([10, 0]);
  });

  it("gives the end point for a zero-length move", () => {
    expect(pointsBetween(3, 4, 3, 4)).toEqual([[3, 4]]);
  });

  it("leaves no gap wider than the step on a diagonal", () => {
    const pts = [[0, 0], ...pointsBetween(0, 0, 30, 40, 2)];
    for (let i = 1; i < pts.length; i++) {
      expect(Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1])).toBeLessThanOrEqual(
        2 + 1e-9,
      );
    }
  });
});

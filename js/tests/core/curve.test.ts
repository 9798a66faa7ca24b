import { describe, expect, it } from "vitest";
import {
  cursorKey,
  curveCaption,
  curveMask,
  curvePath,
  maskCount,
  nearestPoint,
  PLOT_BOX,
  pointOfMask,
  pointText,
  readCurve,
  xOf,
  yOf,
} from "../../src/core/curve";

const good = {
  state: "done",
  label: 285,
  label_name: "Egyptian cat",
  ranking: "lime",
  mode: "deletion",
  order: [2, 0, 3, 1],
  counts: [0, 1, 2, 3, 4],
  scores: [0.8, 0.5, 0.3, 0.2, 0.1],
  area: 0.36,
  message: "",
};

describe("readCurve", () => {
  it("reads a good curve", () => {
    const c = readCurve(good, 4);
    expect(c).not.toBeNull();
    expect(c?.order).toEqual([2, 0, 3, 1]);
    expect(c?.labelName).toBe("Egyptian cat");
    expect(c?.area).toBe(0.36);
  });

  it("keeps unscored points as null and a running curve without area", () => {
    const c = readCurve(
      { ...good, state: "running", scores: [0.8, null, 0.3, null, null], area: null },
      4,
    );
    expect(c?.scores).toEqual([0.8, null, 0.3, null, null]);
    expect(c?.area).toBeNull();
  });

  it("refuses anything malformed, never throwing", () => {
    const bad: unknown[] = [
      null,
      [],
      "curve",
      {},
      { ...good, state: "maybe" },
      { ...good, mode: "removal" },
      { ...good, label: 1.5 },
      { ...good, ranking: 3 },
      { ...good, order: [0, 1, 2] },
      { ...good, order: [0, 0, 1, 2] },
      { ...good, order: [0, 1, 2, 4] },
      { ...good, order: [0, 1, 2, "3"] },
      { ...good, counts: [0] },
      { ...good, counts: [0, 2, 1, 3, 4] },
      { ...good, counts: [0, 1, 2, 3, 5] },
      { ...good, counts: [-1, 1, 2, 3, 4] },
      { ...good, scores: [0.8, 0.5] },
      { ...good, scores: [0.8, 0.5, Number.NaN, 0.2, 0.1] },
      { ...good, scores: [0.8, 0.5, "0.3", 0.2, 0.1] },
    ];
    for (const v of bad) expect(readCurve(v, 4)).toBeNull();
    expect(readCurve(good, 5)).toBeNull(); // another K
    expect(readCurve(good, 0)).toBeNull();
  });
});

describe("curve masks", () => {
  it("deletion hides the first k of the order; insertion shows only them", () => {
    expect(curveMask([2, 0, 3, 1], 2, "deletion")).toEqual([false, true, false, true]);
    expect(curveMask([2, 0, 3, 1], 0, "deletion")).toEqual([true, true, true, true]);
    expect(curveMask([2, 0, 3, 1], 2, "insertion")).toEqual([true, false, true, false]);
    expect(curveMask([2, 0, 3, 1], 4, "insertion")).toEqual([true, true, true, true]);
  });

  it("counts hidden (deletion) or shown (insertion) superpixels", () => {
    expect(maskCount([true, false, false, true], "deletion")).toBe(2);
    expect(maskCount([true, false, false, true], "insertion")).toBe(2);
    expect(maskCount([true, true, true, false], "insertion")).toBe(3);
  });

  it("finds the point a mask is, or -1 when it is not on the curve", () => {
    const c = { order: [2, 0, 3, 1], counts: [0, 1, 2, 3, 4], mode: "deletion" as const };
    for (const k of [0, 1, 2, 3, 4])
      expect(pointOfMask(c, curveMask(c.order, k, "deletion"))).toBe(k);
    expect(pointOfMask(c, [true, true, true, false])).toBe(-1); // one hidden, but not the first of the order
    expect(pointOfMask(c, [true, true])).toBe(-1);
    const sparse = { order: [2, 0, 3, 1], counts: [0, 2, 4], mode: "insertion" as const };
    expect(pointOfMask(sparse, curveMask(sparse.order, 2, "insertion"))).toBe(1);
    expect(pointOfMask(sparse, curveMask(sparse.order, 1, "insertion"))).toBe(-1); // 1 is not a count
  });
});

describe("plot geometry and hit-testing", () => {
  it("maps counts and scores into the plot box", () => {
    expect(xOf(0, 4)).toBe(PLOT_BOX.left);
    expect(xOf(4, 4)).toBe(PLOT_BOX.width - PLOT_BOX.right);
    expect(yOf(1)).toBe(PLOT_BOX.top);
    expect(yOf(0)).toBe(PLOT_BOX.height - PLOT_BOX.bottom);
    expect(yOf(2)).toBe(yOf(1)); // clamped
  });

  it("draws only scored stretches, starting anew after a gap", () => {
    expect(curvePath({ counts: [0, 1, 2], scores: [null, null, null] }, 2)).toBe("");
    const d = curvePath({ counts: [0, 1, 2, 3], scores: [1, 0.5, null, 0] }, 3);
    expect(d.match(/M/g)?.length).toBe(2);
    expect(d.match(/L/g)?.length).toBe(1);
  });

  it("picks the point nearest to the pointer's x, at any drawn width", () => {
    const counts = [0, 1, 2, 3, 4];
    const at = (count: number, drawn: number) => ((xOf(count, 4) + 1) * drawn) / PLOT_BOX.width;
    for (const c of counts) {
      expect(nearestPoint(counts, 4, at(c, PLOT_BOX.width), PLOT_BOX.width)).toBe(c);
      expect(nearestPoint(counts, 4, at(c, 160), 160)).toBe(c); // drawn at half size
    }
    expect(nearestPoint(counts, 4, 0, PLOT_BOX.width)).toBe(-1); // far left of the axis
    expect(nearestPoint([], 4, 50, PLOT_BOX.width)).toBe(-1);
    expect(nearestPoint(counts, 4, 50, 0)).toBe(-1);
  });

  it("moves the keyboard cursor within the points", () => {
    expect(cursorKey("ArrowRight", -1, 5)).toBe(0);
    expect(cursorKey("ArrowRight", 2, 5)).toBe(3);
    expect(cursorKey("ArrowRight", 4, 5)).toBe(4);
    expect(cursorKey("ArrowLeft", 0, 5)).toBe(0);
    expect(cursorKey("Home", 3, 5)).toBe(0);
    expect(cursorKey("End", 0, 5)).toBe(4);
    expect(cursorKey("x", 0, 5)).toBeNull();
    expect(cursorKey("ArrowRight", 0, 0)).toBeNull();
  });
});

describe("texts", () => {
  it("describes a point and the curve's state", () => {
    expect(pointText(5, 0.43125, "deletion")).toBe("5 hidden: 0.4313");
    expect(pointText(5, null, "insertion")).toBe("5 shown: not scored yet");
    const c = readCurve(good, 4);
    expect(curveCaption(c, false)).toBe(
      "score of “Egyptian cat” · area 0.360 (lower = the ranking finds what matters sooner)",
    );
    const running = readCurve(
      { ...good, state: "running", scores: [0.8, null, null, null, null] },
      4,
    );
    expect(curveCaption(running, false)).toBe("scoring… 1 of 5 points");
    expect(curveCaption(null, false)).toBe("scoring…");
    expect(curveCaption(null, true)).toBe("not computed in this file");
    const failed = readCurve({ ...good, state: "error", message: "out of memory" }, 4);
    expect(curveCaption(failed, false)).toBe("the curve failed: out of memory");
  });
});

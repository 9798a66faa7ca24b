import { describe, expect, it } from "vitest";
import {
  MAX_STATUS_LENGTH,
  NOISY_ALPHA,
  noiseAlphas,
  noiseMask,
  perSegment,
  readUncertainty,
  segmentUncertainty,
  stabilityOf,
  topKOf,
  topKStatusOf,
  withinNoise,
  Z90,
} from "../../src/core/uncertainty";
import type { ClassInfo } from "../../src/protocol";

const base: ClassInfo = {
  id: 1,
  name: "tabby",
  weights: [0.3, -0.01, 0.02],
  intercept: 0,
  r2: 0.9,
  original: 0.5,
};
const full: ClassInfo = {
  ...base,
  std: [0.05, 0.02, 0.1],
  confidence: [0.9, 0, 0.35],
  confidence_k: 5,
  stability: 0.83,
};

describe("perSegment", () => {
  it("keeps one value per superpixel, unknown where malformed", () => {
    expect(perSegment([0.1, 0.2], 2, 0, 1)).toEqual([0.1, 0.2]);
    expect(perSegment([0.1, Number.NaN, 2, -1, "0.5", null], 6, 0, 1)).toEqual([
      0.1,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("is null when missing, not a list, of the wrong length or with no usable entry", () => {
    expect(perSegment(undefined, 2, 0, 1)).toBeNull();
    expect(perSegment(null, 2, 0, 1)).toBeNull();
    expect(perSegment({ length: 2 }, 2, 0, 1)).toBeNull();
    expect(perSegment([0.1], 2, 0, 1)).toBeNull();
    expect(perSegment([0.1, 0.2, 0.3], 2, 0, 1)).toBeNull();
    expect(perSegment([], 0, 0, 1)).toBeNull();
    expect(perSegment([Number.NaN, Number.POSITIVE_INFINITY], 2, 0, 1)).toBeNull();
  });
});

describe("reading the uncertainty fields", () => {
  it("reads std, confidence, k and stability", () => {
    expect(readUncertainty(full, 3)).toEqual({
      std: [0.05, 0.02, 0.1],
      confidence: [0.9, 0, 0.35],
      k: 5,
      stability: 0.83,
    });
  });

  it("treats old messages (no fields) and null like unknown", () => {
    const none = { std: null, confidence: null, k: undefined, stability: undefined };
    expect(readUncertainty(base, 3)).toEqual(none);
    expect(readUncertainty(undefined, 3)).toEqual(none);
    const nulls = { ...base, std: null, confidence: null, stability: null, confidence_k: 5 };
    expect(readUncertainty(nulls, 3)).toEqual({ ...none, k: 5 });
  });

  it("ignores malformed values", () => {
    const bad = {
      ...base,
      std: [0.1, -0.2, Number.NaN],
      confidence: [0.5, 1.2],
      confidence_k: 5,
      stability: Number.NaN,
    } as ClassInfo;
    expect(readUncertainty(bad, 3)).toEqual({
      std: [0.1, undefined, undefined],
      confidence: null,
      k: 5,
      stability: undefined,
    });
    // Without a usable k the confidence cannot be phrased: unknown.
    expect(readUncertainty({ ...full, confidence_k: 0 }, 3).confidence).toBeNull();
    // K from `visible` that does not match: unknown.
    expect(readUncertainty(full, 4).std).toBeNull();
  });

  it("topKOf / stabilityOf", () => {
    expect(topKOf(full)).toBe(5);
    for (const k of [0, -1, 2.5, Number.NaN, "5", null, undefined]) {
      expect(topKOf({ ...base, confidence_k: k as number })).toBeUndefined();
    }
    expect(stabilityOf(full)).toBe(0.83);
    expect(stabilityOf({ ...base, stability: 0 })).toBe(0);
    expect(stabilityOf({ ...base, stability: 1 })).toBe(1);
    for (const x of [1.01, -0.01, Number.NaN, Number.POSITIVE_INFINITY, "0.5", null, undefined]) {
      expect(stabilityOf({ ...base, stability: x as number })).toBeUndefined();
    }
  });

  it("topKStatusOf reads a short string, ignores anything else", () => {
    const text = "top 5: 4 settled, the 5th a tie between #23 and #17";
    expect(topKStatusOf({ ...full, top_k_status: text })).toBe(text);
    expect(topKStatusOf({ ...full, top_k_status: "top 5 settled" })).toBe("top 5 settled");
    expect(MAX_STATUS_LENGTH).toBe(300);
    const longest = "x".repeat(MAX_STATUS_LENGTH);
    expect(topKStatusOf({ ...full, top_k_status: longest })).toBe(longest);
    // Too long, empty, wrong types, null and missing (older messages): unknown.
    expect(topKStatusOf({ ...full, top_k_status: `${longest}x` })).toBeUndefined();
    expect(topKStatusOf({ ...full, top_k_status: "" })).toBeUndefined();
    for (const bad of [5, true, ["top 5 settled"], { text: "top 5 settled" }, null, undefined]) {
      expect(topKStatusOf({ ...full, top_k_status: bad as unknown as string })).toBeUndefined();
    }
    expect(topKStatusOf(full)).toBeUndefined();
    expect(topKStatusOf(undefined)).toBeUndefined();
  });

  it("readUncertainty carries the top-k status next to the stability", () => {
    const text = "top 5: 3 settled, the other 2 undecided among #4, #9, #23 and #17";
    const u = readUncertainty({ ...full, top_k_status: text }, 3);
    expect(u.stability).toBe(0.83);
    expect(u.topKStatus).toBe(text);
    expect(readUncertainty(full, 3).topKStatus).toBeUndefined();
    expect(readUncertainty({ ...full, top_k_status: null }, 3).topKStatus).toBeUndefined();
    expect(
      readUncertainty({ ...full, top_k_status: 7 as unknown as string }, 3).topKStatus,
    ).toBeUndefined();
  });

  it("segmentUncertainty gives the tooltip's parts, as far as known", () => {
    const u = readUncertainty(full, 3);
    expect(segmentUncertainty(u, 0)).toEqual({ std: 0.05, confidence: 0.9, k: 5 });
    expect(segmentUncertainty(u, 7)).toEqual({});
    expect(segmentUncertainty(readUncertainty(base, 3), 0)).toEqual({});
    const partial = readUncertainty({ ...full, std: [0.1, Number.NaN, 0.1], confidence: null }, 3);
    expect(segmentUncertainty(partial, 1)).toEqual({});
    expect(segmentUncertainty(partial, 2)).toEqual({ std: 0.1 });
  });
});

describe("within-noise mask and heatmap opacity", () => {
  it("withinNoise: the 90% interval contains 0", () => {
    expect(Z90).toBe(1.645);
    expect(withinNoise(0.1, 0.1)).toBe(true);
    expect(withinNoise(-0.1, 0.1)).toBe(true);
    expect(withinNoise(0.1645, 0.1)).toBe(false);
    expect(withinNoise(0.2, 0.1)).toBe(false);
    expect(withinNoise(0, 0)).toBe(false);
    expect(withinNoise(0.1, undefined)).toBe(false);
    expect(withinNoise(undefined, 0.1)).toBe(false);
    expect(withinNoise(Number.NaN, 0.1)).toBe(false);
  });

  it("noiseMask marks the uncertain superpixels; null without a matching std", () => {
    const u = readUncertainty(full, 3);
    // 0.3 vs 0.082: solid; -0.01 vs 0.033: noisy; 0.02 vs 0.16: noisy.
    expect(Array.from(noiseMask(full.weights, u.std) ?? [])).toEqual([0, 1, 1]);
    expect(Array.from(noiseMask([0.1, 0.1], [undefined, 1]) ?? [])).toEqual([0, 1]);
    expect(noiseMask(full.weights, null)).toBeNull();
    expect(noiseMask(full.weights, [0.1, 0.1])).toBeNull();
  });

  it("noiseAlphas: half opacity for uncertain superpixels, full for the rest", () => {
    expect(NOISY_ALPHA).toBe(0.5);
    expect(Array.from(noiseAlphas(Uint8Array.from([0, 1, 0])))).toEqual([1, 0.5, 1]);
    expect(Array.from(noiseAlphas(Uint8Array.from([1]), 0.25))).toEqual([0.25]);
    expect(Array.from(noiseAlphas(Uint8Array.from([1]), 3))).toEqual([1]);
    expect(noiseAlphas(new Uint8Array(0))).toHaveLength(0);
  });
});

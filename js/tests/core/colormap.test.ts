import { describe, expect, it } from "vitest";
import {
  DIVERGING_STOPS,
  divergingColor,
  legendGradient,
  legendStops,
  maxAbs,
  rgbaToCss,
  segmentColors,
  valueToColor,
} from "../../src/core/colormap";

describe("divergingColor", () => {
  it("has 11 stops and hits them exactly", () => {
    expect(DIVERGING_STOPS).toHaveLength(11);
    for (let i = 0; i < 11; i++) {
      const t = (i / 10) * 2 - 1;
      expect(divergingColor(t).slice(0, 3)).toEqual([...DIVERGING_STOPS[i]]);
    }
  });

  it("is neutral (near white) at zero and for NaN", () => {
    const [r, g, b, a] = divergingColor(0);
    for (const c of [r, g, b]) expect(c).toBeGreaterThan(240);
    expect(a).toBe(255);
    expect(divergingColor(Number.NaN)).toEqual(divergingColor(0));
  });

  it("is mirrored: f(-x) sits at the mirrored position of the stop list as f(x)", () => {
    const reversed = [...DIVERGING_STOPS].reverse();
    const mirroredAt = (t: number): number[] => {
      const pos = ((t + 1) / 2) * 10;
      const i = Math.min(9, Math.floor(pos));
      const f = pos - i;
      return [0, 1, 2].map((c) =>
        Math.round(reversed[i][c] + (reversed[i + 1][c] - reversed[i][c]) * f),
      );
    };
    const close = (a: number[], b: number[]) => {
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1);
    };
    for (const x of [0.05, 0.2, 0.33, 0.5, 0.77, 1]) {
      close(divergingColor(-x).slice(0, 3), mirroredAt(x));
      close(divergingColor(x).slice(0, 3), mirroredAt(-x));
    }
  });

  it("has about the same lightness at -x and +x", () => {
    const lum = (c: number[]) => (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
    for (const x of [0.1, 0.3, 0.5, 0.7, 0.9, 1]) {
      expect(Math.abs(lum(divergingColor(x)) - lum(divergingColor(-x)))).toBeLessThan(0.12);
    }
  });

  it("is red for negative and blue for positive values", () => {
    const neg = divergingColor(-0.8);
    const pos = divergingColor(0.8);
    expect(neg[0]).toBeGreaterThan(neg[2]);
    expect(pos[2]).toBeGreaterThan(pos[0]);
  });

  it("clamps outside [-1, 1] and interpolates between stops", () => {
    expect(divergingColor(5)).toEqual(divergingColor(1));
    expect(divergingColor(-5)).toEqual(divergingColor(-1));
    const mid = divergingColor(0.1); // halfway between stop 5 and stop 6
    const a = DIVERGING_STOPS[5];
    const b = DIVERGING_STOPS[6];
    [0, 1, 2].forEach((c) => {
      expect(Math.abs(mid[c] - (a[c] + b[c]) / 2)).toBeLessThanOrEqual(0.5);
    });
  });
});

describe("scales", () => {
  it("maxAbs ignores non-finite values", () => {
    expect(maxAbs([0.1, -0.5, 0.3])).toBe(0.5);
    expect(maxAbs([])).toBe(0);
    expect(maxAbs([Number.NaN, Number.POSITIVE_INFINITY, -0.2])).toBe(0.2);
  });

  it("valueToColor divides by the scale and is neutral for a zero scale", () => {
    expect(valueToColor(0.25, 0.5)).toEqual(divergingColor(0.5));
    expect(valueToColor(3, 0)).toEqual(divergingColor(0));
  });

  it("segmentColors builds 4 bytes per segment on a symmetric scale", () => {
    const colors = segmentColors([-2, 0, 1, 2]);
    expect(colors).toHaveLength(16);
    expect(Array.from(colors.slice(0, 4))).toEqual(divergingColor(-1));
    expect(Array.from(colors.slice(4, 8))).toEqual(divergingColor(0));
    expect(Array.from(colors.slice(8, 12))).toEqual(divergingColor(0.5));
    expect(Array.from(colors.slice(12, 16))).toEqual(divergingColor(1));
    // explicit scale
    expect(Array.from(segmentColors([1], 4))).toEqual(divergingColor(0.25));
  });

  it("segmentColors sets each alpha channel from an optional per-segment opacity", () => {
    const colors = segmentColors([-1, 0, 1, 1, 1], 1, [0.5, 1, 0, 2, Number.NaN]);
    expect(Array.from(colors.slice(0, 3))).toEqual(divergingColor(-1).slice(0, 3));
    expect([3, 7, 11, 15, 19].map((i) => colors[i])).toEqual([128, 255, 0, 255, 255]);
    // A short alpha list leaves the remaining segments opaque.
    expect(segmentColors([1, 1], 1, [0.5])[7]).toBe(255);
    expect(segmentColors([1], 1, null)).toEqual(segmentColors([1], 1));
  });
});

describe("legend", () => {
  it("legendStops spans -scale..+scale with 0 in the middle", () => {
    const stops = legendStops(0.2);
    expect(stops).toHaveLength(11);
    expect(stops[0]).toMatchObject({ offset: 0, value: -0.2 });
    expect(stops[5].value).toBeCloseTo(0);
    expect(stops[5].color).toBe(rgbaToCss(divergingColor(0)));
    expect(stops[10]).toMatchObject({ offset: 1, value: 0.2 });
    expect(legendStops(1, 1)).toHaveLength(2);
  });

  it("legendGradient is a CSS gradient from red to blue", () => {
    const g = legendGradient();
    expect(g.startsWith("linear-gradient(to right, rgb(103, 0, 31) 0%")).toBe(true);
    expect(g.endsWith("rgb(5, 48, 97) 100%)")).toBe(true);
  });

  it("rgbaToCss", () => {
    expect(rgbaToCss([1, 2, 3, 255])).toBe("rgb(1, 2, 3)");
    expect(rgbaToCss([1, 2, 3])).toBe("rgb(1, 2, 3)");
    expect(rgbaToCss([1, 2, 3, 0])).toBe("rgba(1, 2, 3, 0)");
  });
});

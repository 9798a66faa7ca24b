import { describe, expect, it } from "vitest";
import { segmentColors } from "../../src/core/colormap";
import { heatmapView, weightsUsable } from "../../src/core/heatmap";
import type { ClassInfo } from "../../src/protocol";

const info: ClassInfo = {
  id: 1,
  name: "tabby",
  weights: [0.2, -0.5, 0],
  intercept: 0,
  r2: 1,
  original: 0.5,
};

describe("heatmap", () => {
  it("weightsUsable needs one weight per superpixel", () => {
    expect(weightsUsable([1, 2, 3], 3)).toBe(true);
    expect(weightsUsable([1, 2], 3)).toBe(false);
    expect(weightsUsable([], 0)).toBe(false);
  });

  it("colours the superpixels on a scale symmetric around zero", () => {
    const v = heatmapView(info, 3);
    expect(v.colors).toEqual(segmentColors(info.weights, 0.5));
    expect(v.title).toBe("LIME weight for “tabby”");
    expect(v.min).toBe("-0.5000");
    expect(v.max).toBe("+0.5000");
    expect(v.barLabel).toBe("colour scale from -0.5000 (red, against) to +0.5000 (blue, for)");
  });

  it("has no colours when K does not match the weights or there is no class", () => {
    const v = heatmapView(info, 4);
    expect(v).toEqual({
      colors: null,
      title: "LIME weight for “tabby”",
      min: "—",
      max: "—",
      barLabel: "colour scale (no weights)",
    });
    expect(heatmapView(undefined, 3).title).toBe("LIME weight (no class)");
    expect(heatmapView(undefined, 3).colors).toBeNull();
  });
});

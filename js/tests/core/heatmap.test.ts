import { describe, expect, it } from "vitest";
import { segmentColors } from "../../src/core/colormap";
import { GRADCAM_NOTE, heatmapView, weightsUsable } from "../../src/core/heatmap";
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
    // Without bootstrap uncertainty nothing is faded and the legend says nothing about noise.
    expect(v.noise).toBe("");
    expect(v.noisy).toBeNull();
  });

  it("fades the superpixels whose weight is within noise (90% interval contains 0)", () => {
    // |0.2| < 1.645 * 0.2: noisy; |-0.5| >= 1.645 * 0.1: solid; 0 with std 0: solid.
    const v = heatmapView({ ...info, std: [0.2, 0.1, 0] }, 3);
    expect(Array.from(v.noisy ?? [])).toEqual([1, 0, 0]);
    expect(v.colors).toEqual(segmentColors(info.weights, 0.5, [0.5, 1, 1]));
    expect(v.colors?.[3]).toBe(128);
    expect(v.colors?.[7]).toBe(255);
    expect(v.noise).toBe(
      "faded: weight within noise (90% interval contains 0) · 1 of 3 superpixels",
    );
    // The scale and ticks do not depend on the std.
    expect(v.min).toBe("-0.5000");
  });

  it("treats missing or malformed std like no std", () => {
    const plain = heatmapView(info, 3);
    for (const std of [undefined, null, [0.1, 0.1], [Number.NaN, Number.NaN, -1], "x"]) {
      const v = heatmapView({ ...info, std: std as number[] | null }, 3);
      expect(v).toEqual(plain);
    }
    // A bad entry leaves that superpixel solid.
    const v = heatmapView({ ...info, std: [Number.NaN, 1, Number.POSITIVE_INFINITY] }, 3);
    expect(Array.from(v.noisy ?? [])).toEqual([0, 1, 0]);
  });

  it("has no colours when K does not match the weights or there is no class", () => {
    const v = heatmapView(info, 4);
    expect(v).toEqual({
      colors: null,
      title: "LIME weight for “tabby”",
      note: "red: against the class · blue: for the class",
      min: "—",
      max: "—",
      barLabel: "colour scale (no weights)",
      noise: "",
      noisy: null,
    });
    expect(heatmapView(undefined, 3).title).toBe("LIME weight (no class)");
    expect(heatmapView(undefined, 3).colors).toBeNull();
  });
});

describe("Grad-CAM heatmap", () => {
  const cam: ClassInfo = { ...info, gradcam: [0.5, null, 1] };

  it("colours the Grad-CAM scores on their own scale, clear where there is none", () => {
    const v = heatmapView(cam, 3, "gradcam");
    expect(v.title).toBe("Grad-CAM for “tabby”");
    expect(v.note).toBe(GRADCAM_NOTE);
    expect(v.max).toBe("+1.0000");
    expect(v.noisy).toBeNull();
    const expected = segmentColors([0.5, Number.NaN, 1], 1, [1, 0, 1]);
    expect(Array.from(v.colors ?? [])).toEqual(Array.from(expected));
    expect(v.colors?.[7]).toBe(0); // superpixel 1 (no score) is not coloured
  });

  it("has no colours without usable scores", () => {
    expect(heatmapView(info, 3, "gradcam").colors).toBeNull();
    expect(heatmapView({ ...info, gradcam: [1, 2] }, 3, "gradcam").colors).toBeNull();
    expect(heatmapView({ ...info, gradcam: [null, null, null] }, 3, "gradcam").colors).toBeNull();
  });

  it("keeps showing LIME's weights for the lime method", () => {
    expect(heatmapView(cam, 3).title).toBe("LIME weight for “tabby”");
  });
});

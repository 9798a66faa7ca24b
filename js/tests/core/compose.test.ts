import { describe, expect, it } from "vitest";
import { divergingColor, segmentColors } from "../../src/core/colormap";
import { composePixels, DEFAULT_BOUNDARY_COLOR } from "../../src/core/compose";
import { boundaryMask } from "../../src/core/segments";

// 3x2 image, segments:
// 0 0 1
// 2 2 1
const W = 3;
const H = 2;
const segments = Uint32Array.from([0, 0, 1, 2, 2, 1]);

function fill(n: number, f: (i: number) => [number, number, number]): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = f(i);
    out.set([r, g, b, 255], i * 4);
  }
  return out;
}

const image = fill(W * H, (i) => [10 + i, 20 + i, 30 + i]);
const hidden = fill(W * H, (i) => [200 + i, 210 + i, 220 + i]);
const pixel = (buf: Uint8ClampedArray, i: number) => Array.from(buf.slice(i * 4, i * 4 + 4));

describe("composePixels", () => {
  it("takes hidden pixels exactly for hidden segments and image pixels otherwise", () => {
    const out = new Uint8ClampedArray(W * H * 4);
    const result = composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, false, true],
      out,
    });
    expect(result).toBe(out);
    for (let i = 0; i < W * H; i++) {
      const src = segments[i] === 1 ? hidden : image;
      expect(pixel(out, i)).toEqual(pixel(src, i));
    }
  });

  it("all hidden gives the hidden image, none hidden the image", () => {
    const out = new Uint8ClampedArray(W * H * 4);
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [false, false, false],
      out,
    });
    expect(Array.from(out)).toEqual(Array.from(hidden));
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, true, true],
      out,
    });
    expect(Array.from(out)).toEqual(Array.from(image));
  });

  it("blends the segment heatmap colour at the given alpha", () => {
    const heat = segmentColors([-1, 0, 1]);
    const out = new Uint8ClampedArray(W * H * 4);
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, true, false],
      out,
      heatmap: heat,
      heatmapAlpha: 0.5,
    });
    for (let i = 0; i < W * H; i++) {
      const s = segments[i];
      const src = s === 2 ? hidden : image;
      const c = divergingColor([-1, 0, 1][s]);
      for (let ch = 0; ch < 3; ch++) {
        expect(
          Math.abs(out[i * 4 + ch] - (src[i * 4 + ch] * 0.5 + c[ch] * 0.5)),
        ).toBeLessThanOrEqual(1);
      }
      expect(out[i * 4 + 3]).toBe(255);
    }
  });

  it("heatmap alpha 0 or a null heatmap leaves pixels unchanged", () => {
    const out = new Uint8ClampedArray(W * H * 4);
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, true, true],
      out,
      heatmap: segmentColors([1, 1, 1]),
      heatmapAlpha: 0,
    });
    expect(Array.from(out)).toEqual(Array.from(image));
  });

  it("draws boundaries only on boundary pixels", () => {
    const boundary = boundaryMask(segments, W, H); // [0,1,0, 0,1,0]
    const out = new Uint8ClampedArray(W * H * 4);
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, true, true],
      out,
      boundary,
      boundaryColor: [255, 255, 0, 255],
    });
    for (let i = 0; i < W * H; i++) {
      if (boundary[i] === 1) expect(pixel(out, i)).toEqual([255, 255, 0, 255]);
      else expect(pixel(out, i)).toEqual(pixel(image, i));
    }
    // default colour is semi-transparent
    expect(DEFAULT_BOUNDARY_COLOR[3]).toBeLessThan(255);
  });

  it("outlines the highlighted segment", () => {
    const out = new Uint8ClampedArray(W * H * 4);
    composePixels({
      width: W,
      height: H,
      image,
      hidden,
      segments,
      visible: [true, true, true],
      out,
      highlight: 2,
      highlightColor: [0, 255, 0, 255],
    });
    // both pixels of segment 2 touch another segment
    expect(pixel(out, 3)).toEqual([0, 255, 0, 255]);
    expect(pixel(out, 4)).toEqual([0, 255, 0, 255]);
    expect(pixel(out, 0)).toEqual(pixel(image, 0));
  });

  it("rejects buffers of the wrong size", () => {
    const out = new Uint8ClampedArray(4);
    expect(() =>
      composePixels({ width: W, height: H, image, hidden, segments, visible: [], out }),
    ).toThrow(/out has length 4/);
  });

  it("composes a 512x512 image quickly", () => {
    const w = 512;
    const n = w * w;
    const seg = new Uint32Array(n);
    for (let i = 0; i < n; i++) seg[i] = ((i % w) >> 5) + ((Math.floor(i / w) >> 5) << 4);
    const nSeg = 256;
    const img = new Uint8ClampedArray(n * 4).fill(100);
    const hid = new Uint8ClampedArray(n * 4).fill(50);
    const vis = Array.from({ length: nSeg }, (_, i) => i % 3 !== 0);
    const heat = segmentColors(Array.from({ length: nSeg }, (_, i) => Math.sin(i)));
    const boundary = boundaryMask(seg, w, w);
    const out = new Uint8ClampedArray(n * 4);
    const opts = {
      width: w,
      height: w,
      image: img,
      hidden: hid,
      segments: seg,
      visible: vis,
      out,
      heatmap: heat,
      boundary,
      highlight: 5,
    };
    composePixels(opts); // warm up
    const t0 = performance.now();
    composePixels(opts);
    const ms = performance.now() - t0;
    // generous bound for a shared CI machine; typically a few ms
    expect(ms).toBeLessThan(250);
  });
});

describe("composePixels with faded (within-noise) superpixels", () => {
  it("blends a faded superpixel's heatmap colour at about half the opacity", () => {
    const weights = [1, 1, 1];
    const compose = (alpha: number[] | null) => {
      const out = new Uint8ClampedArray(W * H * 4);
      return composePixels({
        width: W,
        height: H,
        image,
        hidden,
        segments,
        visible: [true, true, true],
        out,
        heatmap: segmentColors(weights, 1, alpha),
        heatmapAlpha: 0.4,
      });
    };
    const solid = compose(null);
    const faded = compose([1, 0.5, 1]);
    const blue = divergingColor(1);
    // Pixel 0 is in segment 0 (solid), pixel 2 in segment 1 (faded).
    expect(pixel(faded, 0)).toEqual(pixel(solid, 0));
    const a = (0.4 * 128) / 255;
    const expected = [0, 1, 2].map((c) => Math.round(image[2 * 4 + c] * (1 - a) + blue[c] * a));
    expect(pixel(faded, 2).slice(0, 3)).toEqual(expected);
    expect(pixel(faded, 2)).not.toEqual(pixel(solid, 2));
  });
});

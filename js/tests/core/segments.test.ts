import { describe, expect, it } from "vitest";
import {
  boundaryMask,
  decodeSegments,
  pixelAtPoint,
  segmentAtPoint,
  segmentStats,
  toDataView,
  toUint8Array,
} from "../../src/core/segments";

/** Little-endian bytes of `values` placed at `offset` inside a larger buffer. */
function leBytes(values: number[], per: 2 | 4, offset = 0, trailing = 0): Uint8Array {
  const buf = new ArrayBuffer(offset + values.length * per + trailing);
  const view = new DataView(buf);
  view.setUint8(0, 0xff);
  values.forEach((v, i) => {
    if (per === 2) view.setUint16(offset + i * 2, v, true);
    else view.setUint32(offset + i * 4, v, true);
  });
  return new Uint8Array(buf, offset, values.length * per);
}

describe("toDataView / toUint8Array", () => {
  it("keeps byteOffset and byteLength of views", () => {
    const u8 = leBytes([1, 2, 3], 2, 5, 7);
    const view = toDataView(u8);
    expect(view.byteOffset).toBe(5);
    expect(view.byteLength).toBe(6);
    expect(view.getUint16(2, true)).toBe(2);
    const back = toUint8Array(view);
    expect(back.byteOffset).toBe(5);
    expect(back.byteLength).toBe(6);
  });

  it("accepts a plain ArrayBuffer and returns DataViews unchanged", () => {
    const buf = new Uint8Array([1, 2, 3, 4]).buffer;
    expect(toDataView(buf).byteLength).toBe(4);
    const dv = new DataView(buf, 1, 2);
    expect(toDataView(dv)).toBe(dv);
  });
});

describe("decodeSegments", () => {
  const labels = [0, 0, 1, 2, 2, 1];

  it("decodes uint16 from a Uint8Array with an odd byteOffset", () => {
    const bytes = leBytes(labels, 2, 3, 5);
    expect(Array.from(decodeSegments(bytes, "uint16", 3, 2, 3))).toEqual(labels);
  });

  it("decodes uint16 from a DataView with a byteOffset (as anywidget sends it)", () => {
    const u8 = leBytes(labels, 2, 1, 3);
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    expect(Array.from(decodeSegments(dv, "uint16", 3, 2, 3))).toEqual(labels);
  });

  it("decodes uint32 little-endian including large ids", () => {
    const big = [0, 70000, 5, 69999];
    const u8 = leBytes(big, 4, 2);
    expect(Array.from(decodeSegments(u8, "uint32", 2, 2, 70001))).toEqual(big);
  });

  it("decodes an ArrayBuffer", () => {
    const u8 = leBytes(labels, 4);
    const copy = u8.slice().buffer;
    expect(Array.from(decodeSegments(copy, "uint32", 2, 3, 3))).toEqual(labels);
  });

  it("throws on a byte length that does not match width*height", () => {
    const u8 = leBytes(labels, 2);
    expect(() => decodeSegments(u8, "uint16", 4, 2, 3)).toThrow(/expected 16/);
    expect(() => decodeSegments(u8, "uint32", 3, 2, 3)).toThrow(/segments_bytes has 12 bytes/);
    expect(() => decodeSegments(u8.subarray(1), "uint16", 3, 2, 3)).toThrow(Error);
  });

  it("throws when an id is not below the number of superpixels", () => {
    const u8 = leBytes([0, 1, 2, 3], 2);
    expect(() => decodeSegments(u8, "uint16", 2, 2, 3)).toThrow(
      /segment id 3 at pixel \(1, 1\) is out of range: there are 3 superpixels/,
    );
  });

  it("throws on an unknown dtype or bad sizes", () => {
    const u8 = leBytes(labels, 2);
    expect(() => decodeSegments(u8, "int16", 3, 2, 3)).toThrow(/segments_dtype/);
    expect(() => decodeSegments(u8, "uint16", 0, 2, 3)).toThrow(/width/);
    expect(() => decodeSegments(u8, "uint16", 3, 2.5, 3)).toThrow(/height/);
    expect(() => decodeSegments(u8, "uint16", 3, 2, 0)).toThrow(/number of superpixels/);
  });
});

describe("boundaryMask", () => {
  it("marks pixels whose right or bottom neighbour differs on a 3x3 map", () => {
    // 0 0 1
    // 0 0 1
    // 2 2 2
    const seg = Uint32Array.from([0, 0, 1, 0, 0, 1, 2, 2, 2]);
    expect(Array.from(boundaryMask(seg, 3, 3))).toEqual([0, 1, 0, 1, 1, 1, 0, 0, 0]);
  });

  it("is empty for a single segment and rejects a wrong size", () => {
    expect(Array.from(boundaryMask(new Uint32Array(4), 2, 2))).toEqual([0, 0, 0, 0]);
    expect(() => boundaryMask(new Uint32Array(5), 2, 2)).toThrow(/expected 2x2/);
  });
});

describe("segmentAtPoint / pixelAtPoint", () => {
  // 4x2 image:
  // 0 0 1 1
  // 2 2 3 3
  const seg = Uint32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);

  it("maps CSS points to image pixels when shown at the intrinsic size", () => {
    expect(segmentAtPoint(seg, 4, 2, 0, 0, 4, 2)).toBe(0);
    expect(segmentAtPoint(seg, 4, 2, 2.5, 0.5, 4, 2)).toBe(1);
    expect(segmentAtPoint(seg, 4, 2, 3.99, 1.99, 4, 2)).toBe(3);
  });

  it("scales when the canvas is shown larger or smaller", () => {
    // shown at 400x200: every image pixel is 100 CSS px
    expect(segmentAtPoint(seg, 4, 2, 199, 99, 400, 200)).toBe(0);
    expect(segmentAtPoint(seg, 4, 2, 200, 99, 400, 200)).toBe(1);
    expect(segmentAtPoint(seg, 4, 2, 10, 150, 400, 200)).toBe(2);
    // shown at half size
    expect(segmentAtPoint(seg, 4, 2, 1.5, 0.6, 2, 1)).toBe(3);
    expect(pixelAtPoint(1.5, 0.6, 2, 1, 4, 2)).toEqual({ x: 3, y: 1 });
  });

  it("returns -1 outside the canvas or for a degenerate size", () => {
    expect(segmentAtPoint(seg, 4, 2, -0.1, 0, 4, 2)).toBe(-1);
    expect(segmentAtPoint(seg, 4, 2, 0, -1, 4, 2)).toBe(-1);
    expect(segmentAtPoint(seg, 4, 2, 4, 0, 4, 2)).toBe(-1);
    expect(segmentAtPoint(seg, 4, 2, 0, 2, 4, 2)).toBe(-1);
    expect(segmentAtPoint(seg, 4, 2, 1, 1, 0, 0)).toBe(-1);
    expect(segmentAtPoint(seg, 4, 2, Number.NaN, 1, 4, 2)).toBe(-1);
  });

  it("clamps rounding at the far edge", () => {
    // 1/3 scale gives floating point products slightly above the last pixel
    expect(pixelAtPoint(2.9999999999, 0, 3, 1, 3, 1)).toEqual({ x: 2, y: 0 });
  });
});

describe("segmentStats", () => {
  it("computes centroids and counts", () => {
    const seg = Uint32Array.from([0, 0, 1, 1]);
    const s = segmentStats(seg, 2, 2, 3);
    expect(Array.from(s.count)).toEqual([2, 2, 0]);
    expect(s.cx[0]).toBeCloseTo(0.5 + 0.5);
    expect(s.cy[0]).toBeCloseTo(0.5);
    expect(s.cy[1]).toBeCloseTo(1.5);
    expect(Number.isNaN(s.cx[2])).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import {
  clampZoom,
  MAX_ZOOM,
  MIN_ZOOM,
  scrollToShow,
  stepZoom,
  ZOOM_LEVELS,
  zoomScroll,
  zoomText,
} from "../../src/core/zoom";

describe("zoom levels", () => {
  it("steps through the levels and stops at the ends", () => {
    expect(stepZoom(1, 1)).toBe(1.5);
    expect(stepZoom(1.5, -1)).toBe(1);
    expect(stepZoom(MIN_ZOOM, -1)).toBe(MIN_ZOOM);
    expect(stepZoom(MAX_ZOOM, 1)).toBe(MAX_ZOOM);
    expect(stepZoom(2.5, 1)).toBe(3); // between levels: the next one
    expect(stepZoom(2.5, -1)).toBe(2);
    expect([...ZOOM_LEVELS].sort((a, b) => a - b)).toEqual(ZOOM_LEVELS);
  });

  it("clamps and labels", () => {
    expect(clampZoom(0.2)).toBe(MIN_ZOOM);
    expect(clampZoom(100)).toBe(MAX_ZOOM);
    expect(clampZoom(Number.NaN)).toBe(MIN_ZOOM);
    expect(zoomText(1.5)).toBe("150%");
  });
});

describe("zoomScroll", () => {
  const size = { width: 400, height: 300, viewW: 400, viewH: 300 };

  it("keeps the point under the pointer in place", () => {
    // zoom 1 -> 2 at (100, 50): that image point (100, 50) is at (200, 100) after, so scroll (100, 50)
    expect(zoomScroll({ left: 0, top: 0 }, 1, 2, 100, 50, size)).toEqual({ left: 100, top: 50 });
    // and back out: the same point stays under the pointer
    expect(zoomScroll({ left: 100, top: 50 }, 2, 1, 100, 50, size)).toEqual({ left: 0, top: 0 });
  });

  it("stays inside the scrollable range", () => {
    expect(zoomScroll({ left: 0, top: 0 }, 1, 2, 0, 0, size)).toEqual({ left: 0, top: 0 });
    expect(zoomScroll({ left: 0, top: 0 }, 1, 2, 400, 300, size)).toEqual({ left: 400, top: 300 });
    expect(zoomScroll({ left: 700, top: 500 }, 2, 3, 399, 299, size)).toEqual({
      left: 800,
      top: 600,
    });
  });
});

describe("scrollToShow", () => {
  it("moves as little as needed to bring a point into view", () => {
    expect(scrollToShow({ left: 0, top: 0 }, 100, 100, 400, 300)).toEqual({ left: 0, top: 0 });
    expect(scrollToShow({ left: 0, top: 0 }, 500, 100, 400, 300)).toEqual({ left: 124, top: 0 });
    expect(scrollToShow({ left: 300, top: 200 }, 310, 210, 400, 300)).toEqual({
      left: 286,
      top: 186,
    });
    expect(scrollToShow({ left: 300, top: 200 }, 10, 10, 400, 300)).toEqual({ left: 0, top: 0 });
  });
});

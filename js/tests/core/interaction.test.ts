import { describe, expect, it } from "vitest";
import {
  displayScale,
  keyAction,
  MIN_DISPLAY_WIDTH,
  tooltipLeft,
} from "../../src/core/interaction";

describe("keyAction", () => {
  it("moves the focus with the arrows, wrapping around", () => {
    expect(keyAction("ArrowRight", -1, 3)).toEqual({ focus: 0, toggle: -1 });
    expect(keyAction("ArrowDown", 1, 3)).toEqual({ focus: 2, toggle: -1 });
    expect(keyAction("ArrowRight", 2, 3)).toEqual({ focus: 0, toggle: -1 });
    expect(keyAction("ArrowLeft", -1, 3)).toEqual({ focus: 2, toggle: -1 });
    expect(keyAction("ArrowUp", 0, 3)).toEqual({ focus: 2, toggle: -1 });
  });

  it("toggles the focused superpixel with Enter / Space, or focuses the first", () => {
    expect(keyAction("Enter", 1, 3)).toEqual({ focus: 1, toggle: 1 });
    expect(keyAction(" ", 2, 3)).toEqual({ focus: 2, toggle: 2 });
    expect(keyAction("Enter", -1, 3)).toEqual({ focus: 0, toggle: -1 });
  });

  it("leaves with Escape and ignores other keys or an empty image", () => {
    expect(keyAction("Escape", 1, 3)).toEqual({ focus: -1, toggle: -1 });
    expect(keyAction("a", 1, 3)).toBeNull();
    expect(keyAction("ArrowRight", -1, 0)).toBeNull();
  });
});

describe("tooltipLeft", () => {
  it("sits right of the pointer, flips left near the edge, stays inside", () => {
    expect(tooltipLeft(10, 50, 200)).toBe(22);
    expect(tooltipLeft(180, 50, 200)).toBe(118);
    expect(tooltipLeft(30, 150, 160)).toBe(10);
    expect(tooltipLeft(30, 300, 160)).toBe(0);
  });
});

describe("displayScale", () => {
  it("upscales narrow images by an integer factor up to 4", () => {
    expect(displayScale(MIN_DISPLAY_WIDTH)).toBe(1);
    expect(displayScale(1000)).toBe(1);
    expect(displayScale(200)).toBe(2);
    expect(displayScale(128)).toBe(3);
    expect(displayScale(10)).toBe(4);
  });
});

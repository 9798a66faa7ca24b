import { describe, expect, it } from "vitest";
import { cycleClass, SHORTCUT_HELP, shortcutFor } from "../../src/core/shortcuts";

describe("shortcutFor", () => {
  it("maps the single keys, in either case", () => {
    expect(shortcutFor({ key: "z" })).toBe("undo");
    expect(shortcutFor({ key: "Z", shiftKey: true })).toBe("redo");
    expect(shortcutFor({ key: "y" })).toBe("redo");
    expect(shortcutFor({ key: "r" })).toBe("reset");
    expect(shortcutFor({ key: "R" })).toBe("reset");
    expect(shortcutFor({ key: "i" })).toBe("invert");
    expect(shortcutFor({ key: "h" })).toBe("hideTopK");
    expect(shortcutFor({ key: "k" })).toBe("keepTopK");
    expect(shortcutFor({ key: "n" })).toBe("nextClass");
    expect(shortcutFor({ key: "p" })).toBe("prevClass");
    expect(shortcutFor({ key: "m" })).toBe("heatmap");
    expect(shortcutFor({ key: "?", shiftKey: true })).toBe("help");
    expect(shortcutFor({ key: "+", shiftKey: true })).toBe("zoomIn");
    expect(shortcutFor({ key: "=" })).toBe("zoomIn");
    expect(shortcutFor({ key: "-" })).toBe("zoomOut");
    expect(shortcutFor({ key: "0" })).toBe("zoomReset");
    expect(shortcutFor({ key: "-", ctrlKey: true })).toBeNull(); // the browser's own zoom
  });

  it("takes Ctrl/Cmd+Z and Ctrl+Y, and leaves the browser's other shortcuts alone", () => {
    expect(shortcutFor({ key: "z", ctrlKey: true })).toBe("undo");
    expect(shortcutFor({ key: "z", metaKey: true })).toBe("undo");
    expect(shortcutFor({ key: "z", ctrlKey: true, shiftKey: true })).toBe("redo");
    expect(shortcutFor({ key: "y", ctrlKey: true })).toBe("redo");
    expect(shortcutFor({ key: "r", ctrlKey: true })).toBeNull(); // reload
    expect(shortcutFor({ key: "c", metaKey: true })).toBeNull(); // copy
    expect(shortcutFor({ key: "h", altKey: true })).toBeNull();
  });

  it("ignores keys it does not know (the canvas handles arrows, Enter, Space, Escape)", () => {
    for (const key of ["a", "1", "ArrowLeft", "Enter", " ", "Escape", "Tab", "F5", ""]) {
      expect(shortcutFor({ key })).toBeNull();
    }
  });

  it("has a help line for every shortcut", () => {
    const keys = SHORTCUT_HELP.map((x) => x.keys).join(" ");
    for (const k of ["Z", "Y", "R", "I", "H", "K", "N", "P", "M", "?", "Enter", "Esc"]) {
      expect(keys).toContain(k);
    }
  });
});

describe("cycleClass", () => {
  it("steps through the classes, wrapping", () => {
    expect(cycleClass([281, 282, 285], 281, 1)).toBe(282);
    expect(cycleClass([281, 282, 285], 285, 1)).toBe(281);
    expect(cycleClass([281, 282, 285], 281, -1)).toBe(285);
  });

  it("starts at the first class when the current one is not listed, and keeps it with none", () => {
    expect(cycleClass([281, 282], 7, 1)).toBe(281);
    expect(cycleClass([], 7, 1)).toBe(7);
  });
});

import { describe, expect, it } from "vitest";
import {
  type Action,
  actionTable,
  chordsOf,
  cycleClass,
  runKey,
  SHORTCUT_HELP,
  shortcutFor,
  TRIGGERS,
  type Trigger,
} from "../../src/core/actions";

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

/** Runs that record which action ran. */
function recordingRuns() {
  const ran: Action[] = [];
  const runs = {} as Record<Action, () => void>;
  for (const name of Object.keys(TRIGGERS) as Action[]) {
    runs[name] = () => {
      ran.push(name);
    };
  }
  return { ran, runs };
}

describe("chordsOf", () => {
  it("lists the chord with Shift first, then without; lower-cases single keys", () => {
    expect(chordsOf({ key: "Z", shiftKey: true })).toEqual(["shift+z", "z"]);
    expect(chordsOf({ key: "z", metaKey: true })).toEqual(["ctrl+z"]);
    expect(chordsOf({ key: "Z", ctrlKey: true, shiftKey: true })).toEqual([
      "ctrl+shift+z",
      "ctrl+z",
    ]);
    expect(chordsOf({ key: "ArrowLeft" })).toEqual(["ArrowLeft"]);
    expect(chordsOf({ key: "h", altKey: true })).toEqual([]);
  });
});

describe("the action table", () => {
  it("gives every action its run, keys and buttons", () => {
    const { ran, runs } = recordingRuns();
    const table = actionTable(runs);
    expect(Object.keys(table).sort()).toEqual(Object.keys(TRIGGERS).sort());
    expect(table.undo.keys).toEqual(TRIGGERS.undo.keys);
    expect(table.undo.buttons).toEqual(["lime-undo"]);
    table.redo.run();
    table.findFlip.run();
    expect(ran).toEqual(["redo", "findFlip"]);
  });

  it("runs the action of a key, and nothing for a key it does not list", () => {
    const { ran, runs } = recordingRuns();
    const table = actionTable(runs);
    expect(runKey(table, { key: "z" })).toBe(true);
    expect(runKey(table, { key: "Z", shiftKey: true })).toBe(true);
    expect(runKey(table, { key: "z", ctrlKey: true })).toBe(true);
    expect(runKey(table, { key: "R", shiftKey: true })).toBe(true);
    expect(runKey(table, { key: "?", shiftKey: true })).toBe(true);
    expect(runKey(table, { key: "r", ctrlKey: true })).toBe(false);
    expect(runKey(table, { key: "a" })).toBe(false);
    expect(runKey(table, { key: "m", altKey: true })).toBe(false);
    expect(ran).toEqual(["undo", "redo", "undo", "reset", "help"]);
  });

  it("binds no key and no button twice, and every action to a key or a button", () => {
    const triggers: Trigger[] = Object.values(TRIGGERS);
    const keys = triggers.flatMap((t) => t.keys);
    const buttons = triggers.flatMap((t) => t.buttons);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(buttons).size).toBe(buttons.length);
    for (const t of triggers) expect(t.keys.length + t.buttons.length).toBeGreaterThan(0);
  });

  it("maps every key of the table back to its own action", () => {
    for (const [name, t] of Object.entries(TRIGGERS)) {
      for (const chord of t.keys) {
        const parts = chord.split("+");
        const key = chord.endsWith("+") ? "+" : parts[parts.length - 1];
        const e = { key, ctrlKey: chord.startsWith("ctrl+"), shiftKey: chord.includes("shift+") };
        expect(shortcutFor(e)).toBe(name);
      }
    }
  });

  it("reads the keys of the table it is given", () => {
    const custom = { ...TRIGGERS, undo: { keys: ["u"], buttons: [] } };
    expect(shortcutFor({ key: "u" }, custom)).toBe("undo");
    expect(shortcutFor({ key: "z" }, custom)).toBeNull();
  });
});

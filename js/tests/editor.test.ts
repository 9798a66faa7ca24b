import { describe, expect, it } from "vitest";
import { hideTopK } from "../src/core/masks";
import { MaskEditor, type TraitStore } from "../src/editor";
import type { LimeTraits } from "../src/protocol";

/** A model holding traits in memory that records every save_changes() with the traits set since. */
function fakeModel(traits: Partial<LimeTraits>) {
  const state: Partial<LimeTraits> = { ...traits };
  const saves: Partial<LimeTraits>[] = [];
  let dirty: Partial<LimeTraits> = {};
  const model = {
    get: (name: keyof LimeTraits) => state[name],
    set: (name: keyof LimeTraits, value: unknown) => {
      Object.assign(state, { [name]: value });
      Object.assign(dirty, { [name]: value });
    },
    save_changes: () => {
      saves.push(dirty);
      dirty = {};
    },
  } as unknown as TraitStore;
  return { model, state, saves };
}

function setup(visible = [true, true, true], topK = 2) {
  const m = fakeModel({ visible, rev: 0, top_k: topK });
  let commits = 0;
  const editor = new MaskEditor(m.model, () => commits++);
  return { ...m, editor, commits: () => commits };
}

describe("MaskEditor", () => {
  it("sends visible and rev + 1 in one save_changes()", () => {
    const t = setup();
    expect(t.editor.toggle(1)).toBe(true);
    expect(t.saves).toEqual([{ visible: [true, false, true], rev: 1 }]);
    expect(t.commits()).toBe(1);
    expect(t.editor.undo.canUndo).toBe(true);
  });

  it("sends nothing for a mask that is no change or has the wrong length", () => {
    const t = setup();
    expect(t.editor.apply([true, true, true])).toBe(false);
    expect(t.editor.apply([true, false])).toBe(false);
    expect(t.editor.toggle(3)).toBe(false);
    expect(t.editor.toggle(-1)).toBe(false);
    expect(t.saves).toEqual([]);
    expect(t.commits()).toBe(0);
  });

  it("undo and redo send the restored masks with new revs", () => {
    const t = setup();
    t.editor.toggle(0);
    t.editor.toggle(2);
    t.editor.undoStep();
    expect(t.state.visible).toEqual([false, true, true]);
    expect(t.state.rev).toBe(3);
    t.editor.redoStep();
    expect(t.state.visible).toEqual([false, true, false]);
    expect(t.state.rev).toBe(4);
    t.editor.redoStep(); // nothing to redo
    expect(t.saves).toHaveLength(4);
  });

  it("records masks from Python for undo, and starts afresh when K changes", () => {
    const t = setup();
    t.state.visible = [false, true, true];
    t.editor.external();
    expect(t.editor.undo.canUndo).toBe(true);
    t.state.visible = [true, true];
    t.editor.external();
    expect(t.editor.undo.canUndo).toBe(false);
    expect(t.editor.undo.present).toEqual([true, true]);
    expect(t.saves).toEqual([]);
  });

  it("top-k saves top_k together with the mask", () => {
    const t = setup([true, true, true], 1);
    const k = t.editor.topK((kk) => hideTopK([0.5, 0.1, 0.3], kk), "2");
    expect(k).toBe(2);
    expect(t.saves).toEqual([{ top_k: 2, visible: [false, true, false], rev: 1 }]);
  });

  it("top-k saves a changed top_k alone when the mask does not change", () => {
    const t = setup([true, true, true], 1);
    expect(t.editor.topK(() => [true, true, true], "9")).toBe(3);
    expect(t.saves).toEqual([{ top_k: 3 }]);
    expect(t.editor.topK(() => [true, true, true], "3")).toBe(3);
    expect(t.saves).toHaveLength(1);
  });

  it("setK clamps the typed k and keeps top_k for text that is not a number", () => {
    const t = setup([true, true, true, true], 2);
    expect(t.editor.setK("x")).toEqual({ k: 2, changed: false });
    expect(t.editor.setK("0")).toEqual({ k: 1, changed: true });
    expect(t.state.top_k).toBe(1);
    expect(t.saves).toEqual([]);
  });

  it("sendK sends a changed top_k at once, clamped, and nothing when it did not change", () => {
    const t = setup([true, true, true], 1);
    expect(t.editor.sendK("7")).toBe(3);
    expect(t.saves).toEqual([{ top_k: 3 }]);
    expect(t.editor.sendK("3")).toBe(3);
    expect(t.editor.sendK("x")).toBe(3);
    expect(t.saves).toHaveLength(1);
    expect(t.commits()).toBe(0);
  });
});

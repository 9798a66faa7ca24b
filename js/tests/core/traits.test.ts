import { describe, expect, it } from "vitest";
import {
  arrayOr,
  errorMessage,
  gradcamScores,
  hasGradcam,
  intOr,
  readImageSource,
  readSnapshot,
  selectedClass,
  selectedWeights,
  setTraits,
  shownScores,
} from "../../src/core/traits";
import type { ClassInfo, LimeTraits } from "../../src/protocol";

const classes: ClassInfo[] = [
  { id: 281, name: "tabby", weights: [0.1, -0.2, 0.3], intercept: 0.3, r2: 0.8, original: 0.6 },
  { id: 282, name: "tiger cat", weights: [0.05, 0.02, 0], intercept: 0.2, r2: 0.7, original: 0.2 },
];

const reader =
  (traits: Partial<Record<keyof LimeTraits, unknown>>) =>
  (name: keyof LimeTraits): unknown =>
    traits[name];

describe("coercion helpers", () => {
  it("arrayOr / intOr / errorMessage", () => {
    expect(arrayOr([1, 2])).toEqual([1, 2]);
    expect(arrayOr("x")).toEqual([]);
    expect(arrayOr(undefined)).toEqual([]);
    expect(intOr(3.9, 0)).toBe(3);
    expect(intOr(-2.5, 0)).toBe(-2);
    expect(intOr(Number.NaN, 7)).toBe(7);
    expect(intOr("4", 7)).toBe(7);
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("plain")).toBe("plain");
  });
});

describe("readSnapshot", () => {
  it("reads every trait, K being the length of visible", () => {
    const s = readSnapshot(
      reader({
        visible: [true, false, true],
        classes,
        selected_label: 282,
        rev: 4,
        scored_rev: 3,
        status: "scoring",
        error: "",
        history: [],
        original_scores: [{ id: 281, name: "tabby", prob: 0.6, rank: 1 }],
        scores: [],
        surrogate: [0.5, 0.25],
        show_heatmap: true,
        heatmap_opacity: 0.7,
        top_k: 2,
      }),
    );
    expect(s.heatmapOpacity).toBe(0.7);
    expect(s.mask).toEqual([true, false, true]);
    expect(s.classes).toBe(classes);
    expect(s).toMatchObject({ selected: 282, rev: 4, scoredRev: 3, status: "scoring", topK: 2 });
    expect(s.showHeatmap).toBe(true);
    expect(s.surrogate).toEqual([0.5, 0.25]);
    expect(s.originalScores).toHaveLength(1);
  });

  it("falls back to safe defaults for missing or malformed traits", () => {
    const s = readSnapshot(reader({ visible: "nope", classes: null, top_k: "5" }));
    expect(s).toMatchObject({ mask: [], classes: [], selected: -1, rev: 0, scoredRev: -1 });
    expect(s).toMatchObject({ status: "", error: "", history: [], scores: [], surrogate: [] });
    expect(s.showHeatmap).toBe(false);
    expect(s.heatmapOpacity).toBe(0.45);
    expect(s.topK).toBe(1);
    expect(readSnapshot(reader({ heatmap_opacity: 3 })).heatmapOpacity).toBe(1);
    expect(readSnapshot(reader({ heatmap_opacity: -1 })).heatmapOpacity).toBe(0);
    expect(readSnapshot(reader({ heatmap_opacity: Number.NaN })).heatmapOpacity).toBe(0.45);
  });
});

describe("selected class", () => {
  it("finds the tracked class and its weights", () => {
    expect(selectedClass({ classes, selected: 282 })?.name).toBe("tiger cat");
    expect(selectedWeights({ classes, selected: 281 })).toEqual([0.1, -0.2, 0.3]);
  });

  it("is undefined / empty for a class that was not explained", () => {
    expect(selectedClass({ classes, selected: 5 })).toBeUndefined();
    expect(selectedWeights({ classes, selected: 5 })).toEqual([]);
    expect(
      selectedWeights({ classes: [{ ...classes[0], weights: null as never }], selected: 281 }),
    ).toEqual([]);
  });
});

describe("readImageSource", () => {
  it("takes K from visible, not from any n_segments trait", () => {
    const bytes = new DataView(new ArrayBuffer(4));
    const src = readImageSource(
      reader({
        width: 2,
        height: 1,
        image_png: bytes,
        hidden_png: bytes,
        segments_bytes: bytes,
        segments_dtype: "uint16",
        visible: [true, true, false],
      }),
    );
    expect(src).toMatchObject({ width: 2, height: 1, dtype: "uint16", nSegments: 3 });
    expect(src.image).toBe(bytes);
    expect(readImageSource(reader({})).nSegments).toBe(0);
    expect(readImageSource(reader({})).width).toBe(0);
  });
});

describe("heatmap method", () => {
  const lime = [
    { id: 1, name: "a", weights: [0.3, -0.1], intercept: 0, r2: 1, original: 0.5 },
    { id: 2, name: "b", weights: [0.1, 0.2], intercept: 0, r2: 1, original: 0.2 },
  ];
  const cam = lime.map((c, i) => ({ ...c, gradcam: i === 0 ? [0.2, null] : [0, 0.9] }));

  it("is gradcam only when asked for and every class has Grad-CAM scores", () => {
    const get = (classes: unknown, method: unknown) =>
      readSnapshot(reader({ classes, heatmap_method: method, selected_label: 1 }));
    expect(get(cam, "gradcam").heatmapMethod).toBe("gradcam");
    expect(get(cam, "lime").heatmapMethod).toBe("lime");
    expect(get(lime, "gradcam").heatmapMethod).toBe("lime");
    expect(get(cam, 7).heatmapMethod).toBe("lime");
    expect(hasGradcam(cam)).toBe(true);
    expect(hasGradcam(lime)).toBe(false);
    expect(hasGradcam([])).toBe(false);
  });

  it("ranks by the map on screen", () => {
    const s = { classes: cam, selected: 1 };
    expect(shownScores({ ...s, heatmapMethod: "lime" })).toEqual([0.3, -0.1]);
    expect(shownScores({ ...s, heatmapMethod: "gradcam" })).toEqual([0.2, Number.NaN]);
    expect(gradcamScores(undefined)).toEqual([]);
  });
});

describe("setTraits", () => {
  /** A model that logs every set and save_changes(), in order. */
  function loggingModel() {
    const log: string[] = [];
    const state: Partial<LimeTraits> = {};
    const model = {
      set: <K extends keyof LimeTraits>(name: K, value: LimeTraits[K]) => {
        state[name] = value;
        log.push(`set ${name}=${JSON.stringify(value)}`);
      },
      save_changes: () => log.push("save"),
    };
    return { model, log, state };
  }

  it("sets every value, in order, then sends them in one save_changes()", () => {
    const m = loggingModel();
    setTraits(m.model, { visible: [true, false], rev: 4 });
    expect(m.log).toEqual(["set visible=[true,false]", "set rev=4", "save"]);
    expect(m.state).toEqual({ visible: [true, false], rev: 4 });
  });

  it("only sets, without sending, with send: false; sends with send: true", () => {
    const m = loggingModel();
    setTraits(m.model, { heatmap_opacity: 0.3 }, { send: false });
    expect(m.log).toEqual(["set heatmap_opacity=0.3"]);
    setTraits(m.model, { heatmap_opacity: 0.35 }, { send: true });
    expect(m.log).toEqual(["set heatmap_opacity=0.3", "set heatmap_opacity=0.35", "save"]);
  });

  it("writes the traits of any model (the gallery's too)", () => {
    const saved: Record<string, unknown>[] = [];
    let pending: Record<string, unknown> = {};
    const gallery = {
      set: (name: "sort_by" | "selected", value: unknown) => {
        pending[name] = value;
      },
      save_changes: () => {
        saved.push(pending);
        pending = {};
      },
    };
    setTraits<{ sort_by: string; selected: number }>(gallery, { sort_by: "score", selected: 2 });
    expect(saved).toEqual([{ sort_by: "score", selected: 2 }]);
  });
});

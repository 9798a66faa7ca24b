import { describe, expect, it } from "vitest";
import { scoreCells, statusView } from "../src/core/panel";
import type { ScoreSummary } from "../src/core/scores";
import { decodeState, LocalModel } from "../src/standalone";

describe("decodeState", () => {
  it("turns {$bytes: base64} into a DataView and keeps everything else", () => {
    const s = decodeState({ image_png: { $bytes: btoa("\x01\x02\xff") }, width: 3, classes: [] });
    const v = s.image_png as DataView;
    expect(v).toBeInstanceOf(DataView);
    expect([v.getUint8(0), v.getUint8(1), v.getUint8(2)]).toEqual([1, 2, 255]);
    expect(s.width).toBe(3);
    expect(s.classes).toEqual([]);
  });
});

describe("LocalModel", () => {
  it("is offline, stores values and tells listeners about changes", () => {
    const m = new LocalModel({ rev: 0 });
    expect(m.get("offline")).toBe(true);
    const seen: number[] = [];
    const cb = () => seen.push(m.get("rev"));
    m.on("change:rev", cb);
    m.set("rev", 1);
    m.set("rev", 1); // no change: no event
    m.save_changes(); // nowhere to send: nothing happens
    m.off("change:rev", cb);
    m.set("rev", 2);
    expect(seen).toEqual([1]);
  });
});

describe("LocalModel scoring", () => {
  const state = {
    visible: [true, false],
    rev: 1,
    scored_rev: 1,
    scores: [{ id: 1, name: "b", prob: 0.3, rank: 1 }],
    surrogate: [0.25],
    original_scores: [{ id: 1, name: "b", prob: 0.9, rank: 1 }],
  };

  it("scores the saved mask and the original again from the file, nothing else", () => {
    const m = new LocalModel(state);
    m.set("visible", [false, false]);
    m.set("rev", 2);
    m.save_changes();
    expect(m.get("scored_rev")).toBe(1); // unknown mask: no model here
    m.set("visible", [true, false]);
    m.set("rev", 3);
    m.save_changes();
    expect(m.get("scored_rev")).toBe(3);
    expect(m.get("scores")[0].prob).toBe(0.3);
    m.set("visible", [true, true]);
    m.set("rev", 4);
    m.save_changes();
    expect(m.get("scored_rev")).toBe(4);
    expect(m.get("scores")[0].prob).toBe(0.9);
  });
});

describe("offline panel", () => {
  const waiting: ScoreSummary = {
    now: undefined,
    original: 0.6,
    change: undefined,
    surrogate: 0.42,
    r2: 0.8,
    stability: undefined,
    stabilityK: undefined,
    current: false,
    topChanged: false,
  };

  it("says there is no model for a new mask and still shows the surrogate", () => {
    const c = scoreCells(waiting, true);
    expect(c.now.text).toBe("no model in a saved file");
    expect(c.surrogate).toEqual({ value: 0.42, text: "0.4200" });
    expect(scoreCells(waiting).now.text).toBe("scoring…");
  });

  it("shows the status 'saved file' instead of scoring", () => {
    const s = { status: "ready", error: "", rev: 3, scoredRev: 1, offline: true };
    expect(statusView(s, "")).toMatchObject({
      text: "saved file",
      className: "lime-status lime-status-offline",
    });
    expect(statusView(s, "bad png").text).toBe("error");
  });
});

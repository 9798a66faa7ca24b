import { describe, expect, it } from "vitest";
import {
  agreementCell,
  flipView,
  HISTORY_ROWS,
  historyItems,
  maskSummary,
  rankClass,
  rankTitle,
  rowClass,
  scoreCells,
  stabilityTexts,
  statusView,
  topBannerText,
  topKStatusRow,
  topKTexts,
} from "../../src/core/panel";
import { type ClassTableRow, classTable, type ScoreSummary } from "../../src/core/scores";
import type { ClassInfo, Probe, ScoreRow } from "../../src/protocol";

describe("statusView", () => {
  const ok = { status: "ready", error: "", rev: 3, scoredRev: 3 };

  it("is ready when the scores belong to the current rev", () => {
    expect(statusView(ok, "")).toEqual({
      text: "ready",
      raw: "ready",
      className: "lime-status lime-status-ready",
      errors: [],
    });
  });

  it("is scoring while Python scores or a newer rev is pending", () => {
    expect(statusView({ ...ok, status: "scoring" }, "").text).toBe("scoring…");
    const pending = statusView({ ...ok, rev: 4 }, "");
    expect(pending.text).toBe("scoring…");
    expect(pending.className).toBe("lime-status lime-status-scoring");
    expect(pending.raw).toBe("ready");
  });

  it("is error when Python or the front end reports one, listing both", () => {
    expect(statusView({ ...ok, status: "error" }, "").text).toBe("error");
    const both = statusView({ ...ok, error: "bad mask", rev: 4 }, "bad png");
    expect(both.text).toBe("error");
    expect(both.className).toBe("lime-status lime-status-error");
    expect(both.errors).toEqual(["bad png", "bad mask"]);
  });
});

describe("scoreCells", () => {
  const current: ScoreSummary = {
    now: 0.15,
    original: 0.6,
    change: -0.45,
    surrogate: 0.2,
    r2: 0.8123,
    stability: 0.8349,
    stabilityK: 5,
    current: true,
    topChanged: false,
  };

  it("shows the values of the scored mask", () => {
    const c = scoreCells(current);
    expect(c.now).toEqual({ value: 0.15, text: "0.1500" });
    expect(c.change).toEqual({ value: -0.45, text: "-0.4500 (-75.0%)" });
    expect(c.surrogate).toEqual({ value: 0.2, text: "0.2000" });
    expect(c.original).toEqual({ value: 0.6, text: "0.6000" });
    expect(c.r2).toEqual({ value: 0.8123, text: "0.812" });
  });

  it("shows placeholders while scoring, but the surrogate at once", () => {
    const c = scoreCells({ ...current, now: undefined, change: undefined, current: false });
    expect(c.now).toEqual({ value: undefined, text: "scoring…" });
    expect(c.change).toEqual({ value: undefined, text: "…" });
    expect(c.surrogate).toEqual({ value: 0.2, text: "0.2000" });
    expect(scoreCells({ ...current, surrogate: undefined }).surrogate).toEqual({
      value: undefined,
      text: "…",
    });
    expect(c.original.text).toBe("0.6000");
    expect(c.stability).toEqual({ value: 0.8349, text: "0.83" });
  });

  it("shows the stability with 2 decimals, a dash when unknown", () => {
    expect(scoreCells(current).stability).toEqual({ value: 0.8349, text: "0.83" });
    expect(scoreCells({ ...current, stability: 1 }).stability.text).toBe("1.00");
    expect(scoreCells({ ...current, stability: undefined }).stability).toEqual({
      value: undefined,
      text: "—",
    });
  });
});

describe("stabilityTexts", () => {
  it("names k in the label and explains the number", () => {
    expect(stabilityTexts(5)).toEqual({
      label: "Stability (top 5)",
      title:
        "Expected overlap (Jaccard) of the top-5 superpixels between two runs with different " +
        "random seeds, estimated from bootstrap refits: 1 = the same superpixels every time.",
    });
    expect(stabilityTexts(3).label).toBe("Stability (top 3)");
    expect(stabilityTexts(undefined).label).toBe("Stability (top k)");
    expect(stabilityTexts(undefined).title).toContain("of the top-k superpixels");
  });
});

describe("topKStatusRow", () => {
  const text = "top 5: 4 settled, the 5th a tie between #23 and #17";

  it("labels the row with k and shows the status as sent", () => {
    const row = topKStatusRow({ topKStatus: text, stabilityK: 5 });
    expect(row?.label).toBe("Top 5");
    expect(row?.text).toBe(text);
    expect(topKStatusRow({ topKStatus: "top 3 settled", stabilityK: 3 })?.label).toBe("Top 3");
    expect(topKStatusRow({ topKStatus: text, stabilityK: undefined })?.label).toBe("Top k");
  });

  it("explains settled, tie and undecided in its title", () => {
    const title = topKStatusRow({ topKStatus: text, stabilityK: 5 })?.title ?? "";
    expect(title).toContain("Settled: in the top 5 in at least 90% of refits.");
    expect(title).toContain("A tie: the remaining places are contested only by superpixels");
    expect(title).toContain("within the tie tolerance, 15% of the largest weight by default");
    expect(title).toContain("Undecided: more samples would decide.");
  });

  it("is null (the row hidden) when the status is unknown", () => {
    expect(topKStatusRow({ topKStatus: undefined, stabilityK: 5 })).toBeNull();
    expect(topKStatusRow({ stabilityK: 5 })).toBeNull();
  });
});

describe("class table rows", () => {
  const original: ScoreRow[] = [
    { id: 1, name: "a", prob: 0.6, rank: 1 },
    { id: 2, name: "b", prob: 0.3, rank: 2 },
  ];
  const current: ScoreRow[] = [
    { id: 2, name: "b", prob: 0.5, rank: 1 },
    { id: 1, name: "a", prob: 0.2, rank: 2 },
    { id: 3, name: "c", prob: 0.1, rank: 3 },
  ];
  const rows = classTable(original, current, 1);
  const byId = (id: number): ClassTableRow => rows.find((r) => r.id === id)!;

  it("gives row and rank classes and titles", () => {
    expect(rowClass(byId(2))).toBe("lime-class-row lime-row-overtook lime-row-newtop");
    expect(rowClass(byId(1))).toBe("lime-class-row lime-row-selected");
    expect(rowClass(byId(3))).toBe("lime-class-row");
    expect(rankClass(1)).toBe("lime-rank lime-up");
    expect(rankClass(-1)).toBe("lime-rank lime-down");
    expect(rankClass(0)).toBe("lime-rank");
    expect(rankClass(null)).toBe("lime-rank");
    expect(rankTitle(byId(1))).toBe("rank 2, originally 1");
    expect(rankTitle(byId(3))).toBe("rank 3 (not ranked originally)");
  });

  it("announces a new top class only when the top changed", () => {
    expect(topBannerText(rows, true)).toBe("New top class: b (originally a)");
    expect(topBannerText(rows, false)).toBe("");
    expect(topBannerText(classTable(original, original, 1), true)).toBe("");
  });
});

describe("historyItems", () => {
  const classes = [{ id: 7, name: "cat" }] as ClassInfo[];
  const probe = (rev: number, label = 7): Probe => ({
    rev,
    hidden: [rev],
    label,
    score: 0.5,
    change: -0.1,
    top: "dog",
  });

  it("lists the latest probes first, marking the current rev", () => {
    const items = historyItems({ classes, rev: 2, history: [probe(1), probe(2, 9)] });
    expect(items.map((p) => p.rev)).toEqual([2, 1]);
    expect(items[0]).toEqual({
      rev: 2,
      text: "rev 2: 1 hidden · class 9 0.5000 (-0.1000) · top: dog",
      hidden: [2],
      current: true,
    });
    expect(items[1].text).toBe("rev 1: 1 hidden · cat 0.5000 (-0.1000) · top: dog");
    expect(items[1].current).toBe(false);
  });

  it("keeps only the latest rows and tolerates a malformed hidden list", () => {
    const history = Array.from({ length: HISTORY_ROWS + 5 }, (_, i) => probe(i));
    const items = historyItems({ classes, rev: -1, history });
    expect(items).toHaveLength(HISTORY_ROWS);
    expect(items[0].rev).toBe(HISTORY_ROWS + 4);
    const bad = { ...probe(1), hidden: "x" as unknown as number[] };
    expect(historyItems({ classes, rev: 0, history: [bad] })[0].hidden).toEqual([]);
  });
});

describe("texts", () => {
  it("maskSummary counts hidden superpixels", () => {
    const s = maskSummary([true, false, false, true]);
    expect(s.hidden).toBe("2 of 4 superpixels");
    expect(s.canvasLabel).toMatch(/^Image with 4 superpixels, 2 hidden\. Click a superpixel/);
  });

  it("topKTexts", () => {
    expect(topKTexts(3)).toEqual({
      hide: "Hide top 3",
      keep: "Keep top 3",
      hideLabel: "Hide the 3 superpixels with the largest positive weights",
      keepLabel: "Show only the 3 superpixels with the largest positive weights",
    });
  });
});

describe("agreementCell", () => {
  it("shows the rank correlation and the shared top superpixels", () => {
    expect(agreementCell({ spearman: 0.4123, overlap: 2, k: 5 })).toEqual({
      value: 0.4123,
      text: "ρ 0.41 · top 5 shared: 2",
    });
    expect(agreementCell({ spearman: null, overlap: 0, k: 5 })?.text).toBe("ρ — · top 5 shared: 0");
  });

  it("is null for a missing or malformed agreement", () => {
    for (const a of [
      undefined,
      null,
      3,
      {},
      { spearman: 0.1, overlap: 6, k: 5 },
      { overlap: 1, k: 0 },
    ]) {
      expect(agreementCell(a)).toBeNull();
    }
  });
});

describe("flipView", () => {
  it("says nothing before a search and shows a running one", () => {
    expect(flipView({}, 10)).toEqual({ text: "", running: false, hidden: null });
    expect(flipView({ state: "running", budget: 300 }, 10)).toMatchObject({
      running: true,
      hidden: null,
      text: "searching (at most 300 forward passes)…",
    });
  });

  it("describes a flip found, with its superpixels (ids outside 0..K-1 dropped)", () => {
    const v = flipView(
      {
        state: "done",
        flipped: true,
        hidden: [2, 5, 99],
        new_class_name: "tabby",
        forward_passes: 120,
        greedy_size: 30,
      },
      10,
    );
    expect(v.hidden).toEqual([2, 5]);
    expect(v.text).toBe(
      "hiding 2 superpixels makes it “tabby” (120 forward passes; LIME's top 30 needed)",
    );
  });

  it("reports no flip and errors without anything to hide", () => {
    const none = flipView(
      {
        state: "done",
        flipped: false,
        label_name: "cat",
        forward_passes: 64,
        stop_reason: "no_flip",
      },
      10,
    );
    expect(none).toEqual({
      text: "no flip of “cat” found (64 forward passes, no_flip)",
      running: false,
      hidden: null,
    });
    expect(flipView({ state: "error", message: "boom" }, 10).text).toBe("search failed: boom");
  });
});

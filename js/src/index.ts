/**
 * anywidget front end of lime_widget. `render` only wires the DOM, the canvas and model events;
 * the logic lives in the pure modules (segments, colormap, state, scores, compose).
 * Protocol: docs/protocol.md.
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { legendGradient, maxAbs, segmentColors } from "./colormap";
import { composePixels } from "./compose";
import { button, h, setText } from "./dom";
import {
  classTable,
  formatProb,
  formatRankChange,
  formatRelativeChange,
  formatSigned,
  type LabelInfo,
  type Probe,
  type ScoreRow,
  summarize,
} from "./scores";
import {
  type BytesLike,
  boundaryMask,
  decodeSegments,
  type SegmentStats,
  segmentAtPoint,
  segmentStats,
  toUint8Array,
} from "./segments";
import {
  hiddenIds,
  hideTopK,
  invert,
  keepTopK,
  maskFromHidden,
  masksEqual,
  normalizeMask,
  reset,
  toggle,
  UndoStack,
} from "./state";

/** Synced traits (see docs/protocol.md). */
export interface LimeTraits {
  image_png: DataView;
  hidden_png: DataView;
  segments_bytes: DataView;
  segments_dtype: string;
  width: number;
  height: number;
  n_segments: number;
  labels: LabelInfo[];
  original_scores: ScoreRow[];
  score_kind: string;
  visible: boolean[];
  rev: number;
  selected_label: number;
  show_heatmap: boolean;
  top_k: number;
  scores: ScoreRow[];
  surrogate: number[];
  scored_rev: number;
  status: string;
  error: string;
  history: Probe[];
}

export type LimeModel = AnyModel<LimeTraits>;

/** Number of probes shown in the history list. */
const HISTORY_ROWS = 20;
/** Number of current top classes in the class table. */
const TABLE_ROWS = 10;
/** Images narrower than this are shown upscaled by an integer factor. */
const MIN_DISPLAY_WIDTH = 384;

interface Loaded {
  width: number;
  height: number;
  nSegments: number;
  image: Uint8ClampedArray;
  hidden: Uint8ClampedArray;
  segments: Uint32Array;
  boundary: Uint8Array;
  stats: SegmentStats;
  imageData: ImageData;
}

const arrayOr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const intOr = (v: unknown, d: number): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d;
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type Drawable = ImageBitmap | HTMLImageElement;

async function loadDrawable(blob: Blob): Promise<Drawable> {
  if (typeof createImageBitmap === "function") {
    return createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  }
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Decode a PNG trait to RGBA pixels, checking it is width x height. */
async function decodePng(
  bytes: BytesLike,
  width: number,
  height: number,
  name: string,
): Promise<Uint8ClampedArray> {
  const data = toUint8Array(bytes).slice();
  if (data.byteLength === 0) throw new Error(`${name} is empty`);
  const source = await loadDrawable(new Blob([data], { type: "image/png" }));
  try {
    const sw = source.width;
    const sh = source.height;
    if (sw !== width || sh !== height) {
      throw new Error(`${name} is ${sw}x${sh}, expected ${width}x${height}`);
    }
    const off = document.createElement("canvas");
    off.width = width;
    off.height = height;
    const ctx = off.getContext("2d", { willReadFrequently: true });
    if (ctx === null) throw new Error("canvas 2D context is not available");
    ctx.drawImage(source, 0, 0);
    return ctx.getImageData(0, 0, width, height).data;
  } finally {
    if ("close" in source) source.close();
  }
}

function formatChange(change: number, relative: string): string {
  return relative === "" ? formatSigned(change) : `${formatSigned(change)} (${relative})`;
}

function render({ model, el }: Pick<RenderProps<LimeTraits>, "model" | "el">): () => void {
  const events = new AbortController();
  const on = { signal: events.signal };
  const modelListeners: [string, () => void][] = [];
  let disposed = false;

  // ---------------------------------------------------------------- DOM
  const canvas = h("canvas", {
    class: "lime-canvas",
    testid: "lime-canvas",
    attrs: { role: "img", tabindex: "0", "aria-label": "Image loading" },
  });
  const tooltip = h("div", {
    class: "lime-tooltip",
    testid: "lime-tooltip",
    attrs: { role: "tooltip", "aria-hidden": "true" },
  });
  tooltip.hidden = true;
  const canvasWrap = h("div", { class: "lime-canvas-wrap" }, [canvas, tooltip]);

  const legendTitle = h("div", { class: "lime-legend-title" });
  const legendBar = h("div", {
    class: "lime-legend-bar",
    attrs: { role: "img", "aria-label": "colour scale" },
  });
  legendBar.style.background = legendGradient();
  const tickMin = h("span", { class: "lime-tick" });
  const tickZero = h("span", { class: "lime-tick", text: "0" });
  const tickMax = h("span", { class: "lime-tick" });
  const legendNote = h("div", {
    class: "lime-legend-note",
    text: "red: against the class · blue: for the class",
  });
  const legend = h("div", { class: "lime-legend", testid: "lime-legend" }, [
    legendTitle,
    legendBar,
    h("div", { class: "lime-legend-ticks" }, [tickMin, tickZero, tickMax]),
    legendNote,
  ]);

  const heatmapToggle = h("input", {
    testid: "lime-heatmap-toggle",
    attrs: { type: "checkbox" },
  });
  const heatmapLabel = h("label", { class: "lime-check" }, [
    heatmapToggle,
    document.createTextNode(" heatmap"),
  ]);
  const resetBtn = button("Reset", "lime-reset", "Show all superpixels");
  const undoBtn = button("Undo", "lime-undo", "Undo last mask change");
  const redoBtn = button("Redo", "lime-redo", "Redo mask change");
  const invertBtn = button("Invert", "lime-invert", "Invert mask: hide shown, show hidden");
  const kInput = h("input", {
    class: "lime-k",
    testid: "lime-topk-input",
    attrs: { type: "number", min: "1", step: "1", inputmode: "numeric" },
  });
  const kLabel = h("label", { class: "lime-k-label" }, [document.createTextNode("k "), kInput]);
  const hideTopBtn = button("Hide top k", "lime-hide-topk");
  const keepTopBtn = button("Keep top k", "lime-keep-topk");
  const toolbar = h("div", { class: "lime-toolbar", attrs: { role: "toolbar" } }, [
    heatmapLabel,
    resetBtn,
    undoBtn,
    redoBtn,
    invertBtn,
  ]);
  toolbar.setAttribute("aria-label", "Mask actions");
  const toolbarK = h(
    "div",
    { class: "lime-toolbar", attrs: { role: "toolbar", "aria-label": "Top-k actions" } },
    [kLabel, hideTopBtn, keepTopBtn],
  );
  const view = h("div", { class: "lime-view" }, [canvasWrap, legend, toolbar, toolbarK]);

  const classSelect = h("select", {
    class: "lime-select",
    testid: "lime-class",
    attrs: { "aria-label": "Tracked class" },
  });
  const status = h("span", {
    class: "lime-status",
    testid: "lime-status",
    attrs: { role: "status", "aria-live": "polite" },
  });
  const header = h("div", { class: "lime-header" }, [
    h("label", { class: "lime-select-label" }, [document.createTextNode("Class "), classSelect]),
    status,
  ]);
  const errorBox = h("div", {
    class: "lime-error",
    testid: "lime-error",
    attrs: { role: "alert" },
  });
  errorBox.hidden = true;

  const scoreNow = h("dd", { class: "lime-value lime-now", testid: "lime-score" });
  const scoreOriginal = h("dd", { class: "lime-value", testid: "lime-original" });
  const scoreChange = h("dd", { class: "lime-value", testid: "lime-change" });
  const scoreSurrogate = h("dd", { class: "lime-value", testid: "lime-surrogate" });
  const scoreR2 = h("dd", { class: "lime-value lime-r2" });
  const hiddenCount = h("dd", { class: "lime-value lime-hidden-count" });
  const dtNow = h("dt", { text: "Score now" });
  const dtOriginal = h("dt", { text: "Original" });
  const scoresList = h("dl", { class: "lime-scores" }, [
    dtNow,
    scoreNow,
    dtOriginal,
    scoreOriginal,
    h("dt", { text: "Change" }),
    scoreChange,
    h("dt", {
      text: "Surrogate",
      attrs: { title: "Prediction of the linear LIME surrogate for this mask" },
    }),
    scoreSurrogate,
    h("dt", { text: "Surrogate R²" }),
    scoreR2,
    h("dt", { text: "Hidden" }),
    hiddenCount,
  ]);

  const topBanner = h("div", { class: "lime-banner", attrs: { role: "status" } });
  topBanner.hidden = true;

  const thNow = h("th", { text: "now", attrs: { scope: "col" } });
  const thOrig = h("th", { text: "original", attrs: { scope: "col" } });
  const classBody = h("tbody");
  const classTableEl = h("table", { class: "lime-classes", testid: "lime-classes" }, [
    h("caption", { text: "Top classes" }),
    h("thead", {}, [
      h("tr", {}, [
        h("th", { text: "class", attrs: { scope: "col" } }),
        thNow,
        thOrig,
        h("th", { text: "rank", attrs: { scope: "col" } }),
      ]),
    ]),
    classBody,
  ]);

  const historyList = h("ol", { class: "lime-history", testid: "lime-history" });
  const historySection = h("section", { class: "lime-history-section" }, [
    h("h4", { class: "lime-subtitle", text: "Probes (latest first)" }),
    historyList,
  ]);

  const panel = h("div", { class: "lime-panel" }, [
    header,
    errorBox,
    scoresList,
    topBanner,
    classTableEl,
    historySection,
  ]);
  const root = h("div", { class: "lime-widget" }, [view, panel]);
  el.appendChild(root);

  // ---------------------------------------------------------------- state
  let loaded: Loaded | null = null;
  let loadGeneration = 0;
  let localError = "";
  let hover = -1;
  let keyFocus = -1;
  let heatColors: Uint8ClampedArray | null = null;
  const ctx = canvas.getContext("2d");

  const nSegments = (): number => Math.max(0, intOr(model.get("n_segments"), 0));
  const currentMask = (): boolean[] => normalizeMask(model.get("visible"), nSegments());
  const labels = (): LabelInfo[] => arrayOr<LabelInfo>(model.get("labels"));
  const selectedLabel = (): LabelInfo | undefined => {
    const id = model.get("selected_label");
    return labels().find((l) => l.id === id);
  };
  const selectedWeights = (): number[] => arrayOr<number>(selectedLabel()?.weights);

  const undo = new UndoStack<boolean[]>(currentMask(), 200, masksEqual);

  // ---------------------------------------------------------------- scheduling
  let rafId = 0;
  let drawDirty = false;
  let panelQueued = false;
  const raf =
    typeof requestAnimationFrame === "function"
      ? requestAnimationFrame
      : (cb: FrameRequestCallback) => setTimeout(() => cb(Date.now()), 16) as unknown as number;
  const cancelRaf =
    typeof cancelAnimationFrame === "function"
      ? cancelAnimationFrame
      : (id: number) => clearTimeout(id);

  function scheduleDraw(): void {
    drawDirty = true;
    if (rafId === 0 && !disposed) {
      rafId = raf(() => {
        rafId = 0;
        if (disposed || !drawDirty) return;
        drawDirty = false;
        draw();
      });
    }
  }

  /** Panel updates are coalesced per task, so a hold_sync batch renders once. */
  function schedulePanel(): void {
    if (panelQueued || disposed) return;
    panelQueued = true;
    queueMicrotask(() => {
      panelQueued = false;
      if (!disposed) updatePanel();
    });
  }

  // ---------------------------------------------------------------- drawing
  function draw(): void {
    if (loaded === null || ctx === null) return;
    const d = loaded;
    composePixels({
      width: d.width,
      height: d.height,
      image: d.image,
      hidden: d.hidden,
      segments: d.segments,
      visible: currentMask(),
      out: d.imageData.data,
      heatmap: model.get("show_heatmap") ? heatColors : null,
      boundary: d.boundary,
      highlight: hover >= 0 ? hover : keyFocus,
    });
    ctx.putImageData(d.imageData, 0, 0);
  }

  function updateHeatmap(): void {
    const label = selectedLabel();
    const weights = selectedWeights();
    const usable = label !== undefined && weights.length === nSegments() && weights.length > 0;
    const scale = usable ? maxAbs(weights) : 0;
    heatColors = usable ? segmentColors(weights, scale) : null;
    setText(legendTitle, label ? `LIME weight for “${label.name}”` : "LIME weight (no class)");
    setText(tickMin, usable ? formatSigned(-scale) : "—");
    setText(tickMax, usable ? formatSigned(scale) : "—");
    legendBar.setAttribute(
      "aria-label",
      usable
        ? `colour scale from ${formatSigned(-scale)} (red, against) to ${formatSigned(scale)} (blue, for)`
        : "colour scale (no weights)",
    );
    hideTopBtn.disabled = !usable;
    keepTopBtn.disabled = !usable;
    scheduleDraw();
  }

  // ---------------------------------------------------------------- panel
  function setNumber(cell: HTMLElement, value: number | undefined, text: string): void {
    setText(cell, text);
    cell.setAttribute("data-value", value === undefined ? "" : String(value));
  }

  function updateStatus(): void {
    const raw = String(model.get("status") ?? "");
    const pending = intOr(model.get("scored_rev"), -1) !== intOr(model.get("rev"), 0);
    const modelError = String(model.get("error") ?? "");
    const errors = [localError, modelError].filter((m) => m !== "");
    let shown: string;
    if (errors.length > 0 || raw === "error") shown = "error";
    else if (raw === "scoring" || pending) shown = "scoring…";
    else shown = "ready";
    setText(status, shown);
    status.setAttribute("data-status", raw);
    status.className = `lime-status lime-status-${shown === "scoring…" ? "scoring" : shown}`;
    setText(errorBox, errors.join("\n"));
    errorBox.hidden = errors.length === 0;
  }

  function updateScores(): void {
    const rev = intOr(model.get("rev"), 0);
    const originalScores = arrayOr<ScoreRow>(model.get("original_scores"));
    const scores = arrayOr<ScoreRow>(model.get("scores"));
    const selected = intOr(model.get("selected_label"), -1);
    const s = summarize({
      labels: labels(),
      originalScores,
      scores,
      surrogate: arrayOr<number>(model.get("surrogate")),
      selected,
      rev,
      scoredRev: intOr(model.get("scored_rev"), -1),
    });
    const logit = model.get("score_kind") === "logit";
    setText(dtNow, logit ? "Logit now" : "Probability now");
    setText(thNow, logit ? "logit now" : "prob now");
    setText(thOrig, logit ? "logit orig." : "prob orig.");

    if (s.current) {
      setNumber(scoreNow, s.now, formatProb(s.now));
      scoreNow.setAttribute("data-rev", String(rev));
      scoreNow.removeAttribute("aria-busy");
      setNumber(
        scoreChange,
        s.change,
        s.change === undefined
          ? "—"
          : formatChange(s.change, logit ? "" : formatRelativeChange(s.change, s.original)),
      );
      setNumber(scoreSurrogate, s.surrogate, formatProb(s.surrogate));
    } else {
      setNumber(scoreNow, undefined, "scoring…");
      scoreNow.setAttribute("data-rev", "");
      scoreNow.setAttribute("aria-busy", "true");
      setNumber(scoreChange, undefined, "…");
      setNumber(scoreSurrogate, undefined, "…");
    }
    scoreChange.classList.toggle("lime-up", s.change !== undefined && s.change > 0);
    scoreChange.classList.toggle("lime-down", s.change !== undefined && s.change < 0);
    setNumber(scoreOriginal, s.original, formatProb(s.original));
    setNumber(scoreR2, s.r2, formatProb(s.r2, 3));

    const mask = currentMask();
    const nHidden = hiddenIds(mask).length;
    setText(hiddenCount, `${nHidden} of ${mask.length} superpixels`);
    canvas.setAttribute(
      "aria-label",
      `Image with ${mask.length} superpixels, ${nHidden} hidden. Click a superpixel to hide or ` +
        "show it; with the keyboard, arrow keys pick a superpixel and Enter toggles it.",
    );

    // Class table: the last scored rows (dimmed while a newer mask is scoring).
    const rows = classTable(originalScores, scores, selected, TABLE_ROWS);
    classTableEl.classList.toggle("lime-stale", !s.current);
    const trs = rows.map((r) => {
      const name = h("td", { class: "lime-class-name" }, [h("span", { text: r.name })]);
      if (r.isNewTop)
        name.appendChild(h("span", { class: "lime-badge lime-badge-new", text: "new top class" }));
      if (r.isOriginalTop && s.topChanged) {
        name.appendChild(h("span", { class: "lime-badge lime-badge-was", text: "was top" }));
      }
      const rank = h("td", {
        class:
          `lime-rank ${r.rankChange === null ? "" : r.rankChange > 0 ? "lime-up" : r.rankChange < 0 ? "lime-down" : ""}`.trim(),
        text: formatRankChange(r.rankChange),
        attrs: {
          title:
            r.originalRank === undefined
              ? `rank ${r.rank} (not ranked originally)`
              : `rank ${r.rank}, originally ${r.originalRank}`,
        },
      });
      const cls = ["lime-class-row"];
      if (r.isSelected) cls.push("lime-row-selected");
      if (r.overtakesOriginalTop) cls.push("lime-row-overtook");
      if (r.isNewTop) cls.push("lime-row-newtop");
      return h(
        "tr",
        {
          class: cls.join(" "),
          attrs: { "data-class-id": String(r.id), "data-rank": String(r.rank) },
        },
        [
          name,
          h("td", { class: "lime-num", text: formatProb(r.prob) }),
          h("td", { class: "lime-num", text: formatProb(r.original) }),
          rank,
        ],
      );
    });
    classBody.replaceChildren(...trs);

    const newTop = rows.find((r) => r.isNewTop);
    const oldTop = rows.find((r) => r.isOriginalTop);
    if (s.topChanged && newTop !== undefined) {
      setText(
        topBanner,
        `New top class: ${newTop.name}${oldTop ? ` (originally ${oldTop.name})` : ""}`,
      );
      topBanner.hidden = false;
    } else {
      topBanner.hidden = true;
      setText(topBanner, "");
    }
  }

  /** Hidden ids behind each history "restore" button (one delegated listener on the list). */
  let restoreMasks = new WeakMap<Element, number[]>();

  function updateHistory(): void {
    restoreMasks = new WeakMap();
    const probes = arrayOr<Probe>(model.get("history"));
    const rev = intOr(model.get("rev"), 0);
    const byId = new Map(labels().map((l) => [l.id, l.name]));
    const items = probes
      .slice(-HISTORY_ROWS)
      .reverse()
      .map((p) => {
        const hidden = arrayOr<number>(p.hidden);
        const text =
          `rev ${p.rev}: ${hidden.length} hidden · ${byId.get(p.label) ?? `class ${p.label}`} ` +
          `${formatProb(p.score)} (${formatSigned(p.change)}) · top: ${p.top}`;
        const restore = button("restore", undefined, `Restore the mask of probe rev ${p.rev}`);
        restore.classList.add("lime-restore");
        restoreMasks.set(restore, hidden);
        return h(
          "li",
          {
            class: p.rev === rev ? "lime-probe lime-probe-current" : "lime-probe",
            attrs: { "data-rev": String(p.rev) },
          },
          [h("span", { class: "lime-probe-text", text }), restore],
        );
      });
    if (items.length === 0) {
      items.push(
        h("li", { class: "lime-empty", text: "No probes yet: click a superpixel to hide it." }),
      );
    }
    historyList.replaceChildren(...items);
  }

  function updateSelect(): void {
    const opts = labels().map((l) => h("option", { text: l.name, attrs: { value: String(l.id) } }));
    classSelect.replaceChildren(...opts);
    classSelect.value = String(model.get("selected_label"));
    classSelect.disabled = opts.length === 0;
  }

  function updateUndoButtons(): void {
    undoBtn.disabled = !undo.canUndo;
    redoBtn.disabled = !undo.canRedo;
  }

  function updateControls(): void {
    updateUndoButtons();
    const n = nSegments();
    resetBtn.disabled = n === 0;
    invertBtn.disabled = n === 0;
    const k = intOr(model.get("top_k"), 1);
    if (document.activeElement !== kInput) kInput.value = String(k);
    kInput.max = String(Math.max(1, n));
    setText(hideTopBtn, `Hide top ${k}`);
    setText(keepTopBtn, `Keep top ${k}`);
    hideTopBtn.setAttribute(
      "aria-label",
      `Hide the ${k} superpixels with the largest positive weights`,
    );
    keepTopBtn.setAttribute(
      "aria-label",
      `Show only the ${k} superpixels with the largest positive weights`,
    );
    heatmapToggle.checked = Boolean(model.get("show_heatmap"));
    legend.classList.toggle("lime-legend-off", !heatmapToggle.checked);
  }

  function updatePanel(): void {
    updateStatus();
    updateScores();
    updateHistory();
    updateControls();
  }

  // ---------------------------------------------------------------- mask changes
  /** Send a new mask: visible + rev in one save_changes(). */
  function commit(mask: boolean[]): void {
    model.set("visible", mask);
    model.set("rev", intOr(model.get("rev"), 0) + 1);
    model.save_changes();
    updateUndoButtons();
    scheduleDraw();
    schedulePanel();
  }

  /** Record and send a new mask; false when it is not a change. */
  function applyMask(next: boolean[]): boolean {
    if (next.length !== nSegments() || masksEqual(next, currentMask())) return false;
    undo.push(next);
    commit(next);
    return true;
  }

  /** k from the input, clamped to 1..n_segments; sets (but does not save) top_k if it changed. */
  function readK(): { k: number; changed: boolean } {
    const n = Math.max(1, nSegments());
    const raw = Number.parseInt(kInput.value, 10);
    const k = Number.isFinite(raw) ? Math.min(n, Math.max(1, raw)) : intOr(model.get("top_k"), 1);
    const changed = k !== model.get("top_k");
    if (changed) model.set("top_k", k);
    kInput.value = String(k);
    return { k, changed };
  }

  function topKAction(op: (weights: number[], k: number) => boolean[]): void {
    const { k, changed } = readK();
    // applyMask saves top_k together with visible/rev; save separately only if the mask is unchanged.
    if (!applyMask(op(selectedWeights(), k)) && changed) model.save_changes();
    updateControls();
  }

  // ---------------------------------------------------------------- canvas interaction
  function segmentAtEvent(e: MouseEvent): number {
    if (loaded === null) return -1;
    const rect = canvas.getBoundingClientRect();
    return segmentAtPoint(
      loaded.segments,
      loaded.width,
      loaded.height,
      e.clientX - rect.left,
      e.clientY - rect.top,
      rect.width,
      rect.height,
    );
  }

  function showTooltip(id: number, x: number, y: number): void {
    const weights = selectedWeights();
    const w = weights[id];
    const hidden = currentMask()[id] === false;
    setText(
      tooltip,
      `superpixel #${id}, weight ${formatSigned(typeof w === "number" ? w : undefined)}${hidden ? " (hidden)" : ""}`,
    );
    tooltip.hidden = false;
    // Place beside the pointer, flipped/clamped so that it stays inside the image area.
    const wrapWidth = canvas.clientWidth;
    const tipWidth = tooltip.offsetWidth;
    let left = x + 12;
    if (left + tipWidth > wrapWidth) left = x - 12 - tipWidth;
    if (left < 0) left = Math.max(0, wrapWidth - tipWidth);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${y + 12}px`;
  }

  function hideTooltip(): void {
    tooltip.hidden = true;
  }

  function setHover(id: number): void {
    if (id !== hover) {
      hover = id;
      scheduleDraw();
    }
  }

  canvas.addEventListener(
    "click",
    (e) => {
      const id = segmentAtEvent(e);
      if (id >= 0) {
        applyMask(toggle(currentMask(), id));
        const wrap = canvasWrap.getBoundingClientRect();
        showTooltip(id, e.clientX - wrap.left, e.clientY - wrap.top);
      }
    },
    on,
  );
  canvas.addEventListener(
    "pointermove",
    (e) => {
      const id = segmentAtEvent(e);
      setHover(id);
      if (id < 0) {
        hideTooltip();
        return;
      }
      const wrap = canvasWrap.getBoundingClientRect();
      showTooltip(id, e.clientX - wrap.left, e.clientY - wrap.top);
    },
    on,
  );
  canvas.addEventListener(
    "pointerleave",
    () => {
      setHover(-1);
      hideTooltip();
    },
    on,
  );

  function focusSegment(id: number): void {
    keyFocus = id;
    scheduleDraw();
    if (loaded === null || id < 0) {
      hideTooltip();
      return;
    }
    const rect = canvas.getBoundingClientRect();
    const wrap = canvasWrap.getBoundingClientRect();
    const cx = loaded.stats.cx[id];
    const cy = loaded.stats.cy[id];
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return;
    showTooltip(
      id,
      rect.left - wrap.left + (cx * rect.width) / loaded.width,
      rect.top - wrap.top + (cy * rect.height) / loaded.height,
    );
  }

  canvas.addEventListener(
    "keydown",
    (e) => {
      const n = nSegments();
      if (n === 0 || loaded === null) return;
      let handled = true;
      switch (e.key) {
        case "ArrowRight":
        case "ArrowDown":
          focusSegment(keyFocus < 0 ? 0 : (keyFocus + 1) % n);
          break;
        case "ArrowLeft":
        case "ArrowUp":
          focusSegment(keyFocus < 0 ? n - 1 : (keyFocus - 1 + n) % n);
          break;
        case "Enter":
        case " ":
          if (keyFocus < 0) focusSegment(0);
          else {
            applyMask(toggle(currentMask(), keyFocus));
            focusSegment(keyFocus);
          }
          break;
        case "Escape":
          focusSegment(-1);
          break;
        default:
          handled = false;
      }
      if (handled) {
        // Keep notebook command-mode shortcuts from seeing these keys.
        e.preventDefault();
        e.stopPropagation();
      }
    },
    on,
  );
  canvas.addEventListener("blur", () => focusSegment(-1), on);

  // ---------------------------------------------------------------- controls
  heatmapToggle.addEventListener(
    "change",
    () => {
      model.set("show_heatmap", heatmapToggle.checked);
      model.save_changes();
      updateControls();
      scheduleDraw();
    },
    on,
  );
  resetBtn.addEventListener("click", () => applyMask(reset(currentMask())), on);
  invertBtn.addEventListener("click", () => applyMask(invert(currentMask())), on);
  undoBtn.addEventListener(
    "click",
    () => {
      const m = undo.undo();
      if (m !== undefined) commit(m);
    },
    on,
  );
  redoBtn.addEventListener(
    "click",
    () => {
      const m = undo.redo();
      if (m !== undefined) commit(m);
    },
    on,
  );
  hideTopBtn.addEventListener("click", () => topKAction(hideTopK), on);
  keepTopBtn.addEventListener("click", () => topKAction(keepTopK), on);
  kInput.addEventListener(
    "change",
    () => {
      if (readK().changed) model.save_changes();
      updateControls();
    },
    on,
  );
  classSelect.addEventListener(
    "change",
    () => {
      const id = Number(classSelect.value);
      if (Number.isFinite(id)) {
        model.set("selected_label", id);
        model.save_changes();
      }
    },
    on,
  );

  historyList.addEventListener(
    "click",
    (e) => {
      const target = e.target instanceof Element ? e.target.closest("button.lime-restore") : null;
      const hidden = target === null ? undefined : restoreMasks.get(target);
      if (hidden !== undefined) applyMask(maskFromHidden(nSegments(), hidden));
    },
    on,
  );

  // ---------------------------------------------------------------- loading
  async function load(): Promise<void> {
    const generation = ++loadGeneration;
    loaded = null;
    localError = "";
    schedulePanel();
    const width = intOr(model.get("width"), 0);
    const height = intOr(model.get("height"), 0);
    const n = nSegments();
    const imageBytes = model.get("image_png") as BytesLike | undefined;
    if (imageBytes === undefined || imageBytes === null || width <= 0 || height <= 0) return;
    if (toUint8Array(imageBytes).byteLength === 0) return; // nothing sent yet
    try {
      const segments = decodeSegments(
        model.get("segments_bytes"),
        String(model.get("segments_dtype")),
        width,
        height,
        n,
      );
      const [image, hidden] = await Promise.all([
        decodePng(imageBytes, width, height, "image_png"),
        decodePng(model.get("hidden_png"), width, height, "hidden_png"),
      ]);
      if (disposed || generation !== loadGeneration) return;
      if (ctx === null) throw new Error("canvas 2D context is not available");
      canvas.width = width;
      canvas.height = height;
      const scale =
        width >= MIN_DISPLAY_WIDTH ? 1 : Math.min(4, Math.ceil(MIN_DISPLAY_WIDTH / width));
      canvas.style.width = `${width * scale}px`;
      loaded = {
        width,
        height,
        nSegments: n,
        image,
        hidden,
        segments,
        boundary: boundaryMask(segments, width, height),
        stats: segmentStats(segments, width, height, n),
        imageData: ctx.createImageData(width, height),
      };
      if (undo.present.length !== n) undo.clear(currentMask());
      updateHeatmap();
      scheduleDraw();
      schedulePanel();
    } catch (e) {
      if (disposed || generation !== loadGeneration) return;
      localError = `Could not display the image: ${errorMessage(e)}`;
      schedulePanel();
    }
  }

  // ---------------------------------------------------------------- model events
  function listen(names: string[], cb: () => void): void {
    for (const name of names) {
      model.on(`change:${name}`, cb);
      modelListeners.push([`change:${name}`, cb]);
    }
  }

  listen(["visible"], () => {
    const mask = currentMask();
    // A change we did not make ourselves (Python, another view): record it for undo.
    if (!masksEqual(mask, undo.present)) undo.push(mask);
    updateUndoButtons();
    if (keyFocus >= mask.length) keyFocus = -1;
    scheduleDraw();
    schedulePanel();
  });
  listen(
    [
      "rev",
      "scores",
      "surrogate",
      "scored_rev",
      "status",
      "error",
      "history",
      "original_scores",
      "score_kind",
      "top_k",
    ],
    schedulePanel,
  );
  listen(["show_heatmap"], () => {
    scheduleDraw();
    schedulePanel();
  });
  listen(["selected_label"], () => {
    classSelect.value = String(model.get("selected_label"));
    updateHeatmap();
    schedulePanel();
  });
  listen(["labels"], () => {
    updateSelect();
    updateHeatmap();
    schedulePanel();
  });
  let loadQueued = false;
  /** Reload once per batch of changes to the image traits. */
  function scheduleLoad(): void {
    if (loadQueued || disposed) return;
    loadQueued = true;
    queueMicrotask(() => {
      loadQueued = false;
      if (!disposed) void load();
    });
  }
  listen(
    [
      "image_png",
      "hidden_png",
      "segments_bytes",
      "segments_dtype",
      "width",
      "height",
      "n_segments",
    ],
    scheduleLoad,
  );

  updateSelect();
  updateHeatmap();
  updatePanel();
  void load();

  return () => {
    disposed = true;
    loadGeneration++;
    events.abort();
    for (const [name, cb] of modelListeners) model.off(name, cb);
    modelListeners.length = 0;
    if (rafId !== 0) cancelRaf(rafId);
    rafId = 0;
    root.remove();
  };
}

export { render };
export default { render };

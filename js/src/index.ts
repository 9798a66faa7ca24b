/**
 * anywidget front end of lime_widget. `render` only wires the view (js/src/view) to the model
 * events and returns the cleanup; the logic lives in js/src/core. Protocol: docs/protocol.md.
 */

import type { RenderProps } from "@anywidget/types";
import { actionTable, cycleClass, runKey } from "./core/actions";
import { formatTooltip } from "./core/format";
import { KnownScores, withKnownScores } from "./core/known";
import { hideTopK, invert, keepTopK, maskFromHidden, reset } from "./core/masks";
import { maskSummary } from "./core/panel";
import {
  readImageSource,
  readSnapshot,
  selectedClass,
  selectedWeights,
  setTraits,
  shownScores,
} from "./core/traits";
import { readUncertainty, segmentUncertainty } from "./core/uncertainty";
import { MaskEditor } from "./editor";
import { IMAGE_TRAITS, type LimeTraits } from "./protocol";
import { ImageCanvas } from "./view/canvas";
import { Controls } from "./view/controls";
import { CurvePlot } from "./view/curvePlot";
import { Help } from "./view/help";
import { HistoryList } from "./view/history";
import { assemble, bindButtons } from "./view/layout";
import { Legend } from "./view/legend";
import { FrameScheduler } from "./view/schedule";
import { ScorePanel } from "./view/scorePanel";

function render({ model, el }: Pick<RenderProps<LimeTraits>, "model" | "el">): () => void {
  const frame = new FrameScheduler();
  /** Aborted on cleanup: removes the action buttons' and the window's listeners. */
  const events = new AbortController();
  /** The model's scores of masks the kernel pre-scored or scored: a click onto one shows it at once. */
  const known = new KnownScores();
  const snapshot = () =>
    withKnownScores(
      readSnapshot((name) => model.get(name)),
      known,
    );
  /** The front end's own error (the image could not be shown); "" when none. */
  let localError = "";

  /** Redraw the image and re-render the panel in the next frame. */
  const refresh = (): void => {
    frame.request(draw);
    frame.request(updatePanel);
  };

  const editor = new MaskEditor(model, refresh);
  const showHidden = (hidden: number[]): void => {
    editor.apply(maskFromHidden(editor.mask.length, hidden));
  };
  const legend = new Legend();
  const scorePanel = new ScorePanel();
  const help = new Help();
  const canvas = new ImageCanvas({
    toggle: (id) => editor.toggle(id),
    paint: (mask) => editor.apply(mask),
    mask: () => editor.mask,
    describe: (id) => {
      const s = snapshot();
      const u = readUncertainty(selectedClass(s), s.mask.length);
      return formatTooltip(
        id,
        selectedWeights(s)[id],
        s.mask[id] === false,
        segmentUncertainty(u, id),
      );
    },
    redraw: () => frame.request(draw),
    zoomed: (zoom) => controls.showZoom(zoom),
  });
  const curve = new CurvePlot({
    show: (on) => {
      if (on !== model.get("show_curve")) setTraits(model, { show_curve: on });
    },
    ranking: (value) => setTraits(model, { curve_ranking: value }),
    mode: (value) => setTraits(model, { curve_mode: value }),
    apply: (mask) => editor.apply(mask),
  });
  const history = new HistoryList(showHidden);
  const selectClass = (id: number): void => setTraits(model, { selected_label: id });
  const controls = new Controls(help.button, {
    heatmap: (on) => setTraits(model, { show_heatmap: on }),
    method: (method) => setTraits(model, { heatmap_method: method }),
    opacity: (value, done) => {
      // Drawn at once; sent to Python when the slider is let go.
      setTraits(model, { heatmap_opacity: value }, { send: done });
      frame.request(draw);
    },
    kChanged: () => {
      controls.showK(editor.sendK(controls.kText));
      frame.request(updatePanel);
    },
    selectClass,
  });
  const root = assemble({ canvas, legend, controls, help, curve, scores: scorePanel, history });
  el.appendChild(root);

  const topK = (op: (weights: number[], k: number) => boolean[]): void => {
    const weights = shownScores(snapshot()); // the ranking of the map on screen (LIME or Grad-CAM)
    controls.showK(editor.topK((k) => op(weights, k), controls.kText));
    frame.request(updatePanel);
  };
  const cycle = (step: 1 | -1): void => {
    const s = snapshot();
    selectClass(
      cycleClass(
        s.classes.map((c) => c.id),
        s.selected,
        step,
      ),
    );
  };
  /** What each action runs; its keys and buttons are in core/actions.ts (TRIGGERS). */
  const actions = actionTable({
    undo: () => editor.undoStep(),
    redo: () => editor.redoStep(),
    reset: () => editor.apply(reset(editor.mask)),
    invert: () => editor.apply(invert(editor.mask)),
    hideTopK: () => topK(hideTopK),
    keepTopK: () => topK(keepTopK),
    nextClass: () => cycle(1),
    prevClass: () => cycle(-1),
    heatmap: () => setTraits(model, { show_heatmap: !model.get("show_heatmap") }),
    zoomIn: () => canvas.zoomStep(1),
    zoomOut: () => canvas.zoomStep(-1),
    zoomReset: () => canvas.setZoom(1),
    help: () => help.toggle(),
    findFlip: () => model.send({ type: "minimal_flip" }),
    showFlip: () => {
      if (controls.flipHidden !== null) showHidden(controls.flipHidden);
    },
  });
  bindButtons(root, actions, events.signal);

  function draw(): void {
    const s = snapshot();
    const colors = legend.update(selectedClass(s), s.mask.length, s.showHeatmap, s.heatmapMethod);
    canvas.draw(s.mask, s.showHeatmap ? colors : null, s.heatmapOpacity);
  }

  /**
   * Keys typed anywhere in the widget. Listened for on the window in the capture phase, so before the
   * notebook sees them: Notebook 7 handles its command-mode shortcuts (m, r, z, Enter, ...) in the capture
   * phase of the document, which a listener on the widget would only see afterwards, if at all.
   * composedPath() also finds the widget inside a shadow root (marimo).
   */
  const onKey = (e: KeyboardEvent): void => {
    if (!e.composedPath().includes(root)) return;
    const target = e.composedPath()[0] as HTMLElement | undefined;
    let handled = false;
    if (canvas.owns(target)) handled = canvas.handleKey(e);
    else if (curve.owns(target)) handled = curve.handleKey(e);
    if (!handled) {
      // Typing in the k input, the class list or the slider keeps its own meaning.
      if (target !== undefined && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
      if (!runKey(actions, e)) return;
    }
    e.preventDefault();
    e.stopPropagation(); // not a notebook shortcut too (z, m, y, ... mean something in command mode)
  };
  window.addEventListener("keydown", onKey, { capture: true, signal: events.signal });

  function updatePanel(): void {
    const s = snapshot();
    known.remember(s);
    scorePanel.update(s, localError);
    curve.update(s);
    history.update(s);
    controls.update(s, editor.undo);
    canvas.setLabel(maskSummary(s.mask).canvasLabel);
  }

  function load(): void {
    localError = "";
    frame.request(updatePanel);
    void canvas.load(readImageSource((name) => model.get(name))).then((error) => {
      if (error === null) return; // superseded by a newer load, or disposed
      localError = error;
      refresh();
    });
  }

  // ---------------------------------------------------------------- model events
  const listeners: [string, () => void][] = [];
  const listen = (names: readonly (keyof LimeTraits)[], cb: () => void): void => {
    for (const name of names) {
      model.on(`change:${name}`, cb);
      listeners.push([`change:${name}`, cb]);
    }
  };
  listen(["visible"], () => {
    editor.external();
    const n = editor.mask.length;
    canvas.clampFocus(n);
    if (n !== canvas.segmentCount) frame.request(load); // K changed: check the label map again
    refresh();
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
      "top_k",
      "flip",
      "curve",
      "show_curve",
      "curve_ranking",
      "curve_mode",
    ],
    () => frame.request(updatePanel),
  );
  /** Scores the kernel sent ahead (pre-scored masks, curve points). */
  const onMessage = (msg: unknown): void => {
    const waiting = !snapshot().known && model.get("scored_rev") !== model.get("rev");
    // Redraw only when the mask on screen, still waiting for the kernel, has just become known.
    if (known.addMessage(msg, editor.mask.length) > 0 && waiting && snapshot().known) {
      frame.request(updatePanel);
    }
  };
  model.on("msg:custom", onMessage);
  listen(
    ["show_heatmap", "heatmap_opacity", "heatmap_method", "selected_label", "classes"],
    refresh,
  );
  listen(IMAGE_TRAITS, () => frame.request(load));

  draw();
  updatePanel();
  load();

  return () => {
    frame.dispose();
    events.abort();
    for (const [name, cb] of listeners) model.off(name, cb);
    listeners.length = 0;
    model.off("msg:custom", onMessage);
    canvas.dispose();
    curve.dispose();
    controls.dispose();
    history.dispose();
    root.remove();
  };
}

export { render };
export default { render };

/**
 * anywidget front end of lime_widget. `render` only wires the view (js/src/view) to the model
 * events and returns the cleanup; the logic lives in js/src/core. Protocol: docs/protocol.md.
 */

import type { RenderProps } from "@anywidget/types";
import { formatTooltip } from "./core/format";
import { hideTopK, invert, keepTopK, maskFromHidden, reset } from "./core/masks";
import { maskSummary } from "./core/panel";
import { cycleClass, type Shortcut, shortcutFor } from "./core/shortcuts";
import {
  readImageSource,
  readSnapshot,
  selectedClass,
  selectedWeights,
  shownScores,
} from "./core/traits";
import { readUncertainty, segmentUncertainty } from "./core/uncertainty";
import { MaskEditor } from "./editor";
import { IMAGE_TRAITS, type LimeTraits } from "./protocol";
import { ImageCanvas } from "./view/canvas";
import { Controls } from "./view/controls";
import { HistoryList } from "./view/history";
import { buildLayout } from "./view/layout";
import { Legend } from "./view/legend";
import { FrameScheduler } from "./view/schedule";
import { ScorePanel } from "./view/scorePanel";
import { Tooltip } from "./view/tooltip";

function render({ model, el }: Pick<RenderProps<LimeTraits>, "model" | "el">): () => void {
  const layout = buildLayout();
  el.appendChild(layout.root);
  const frame = new FrameScheduler();
  const snapshot = () => readSnapshot((name) => model.get(name));
  /** The front end's own error (the image could not be shown); "" when none. */
  let localError = "";

  /** Redraw the image and re-render the panel in the next frame. */
  const refresh = (): void => {
    frame.request(draw);
    frame.request(updatePanel);
  };

  const editor = new MaskEditor(model, refresh);
  const legend = new Legend(layout.legend);
  const scorePanel = new ScorePanel(layout.panel);
  const canvas = new ImageCanvas(
    layout.canvas,
    layout.canvasWrap,
    new Tooltip(layout.tooltip, layout.canvas),
    {
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
    },
  );
  const history = new HistoryList(layout.historyList, (hidden) =>
    editor.apply(maskFromHidden(editor.mask.length, hidden)),
  );
  const topK = (op: (weights: number[], k: number) => boolean[]): void => {
    const weights = shownScores(snapshot()); // the ranking of the map on screen (LIME or Grad-CAM)
    controls.showK(editor.topK((k) => op(weights, k), controls.kText));
    frame.request(updatePanel);
  };
  const controls = new Controls(layout.controls, {
    heatmap: (on) => {
      model.set("show_heatmap", on);
      model.save_changes();
    },
    findFlip: () => model.send({ type: "minimal_flip" }),
    showFlip: (hidden) => editor.apply(maskFromHidden(editor.mask.length, hidden)),
    method: (method) => {
      model.set("heatmap_method", method);
      model.save_changes();
    },
    opacity: (value, done) => {
      model.set("heatmap_opacity", value); // drawn at once; sent to Python when the slider is let go
      if (done) model.save_changes();
      frame.request(draw);
    },
    reset: () => editor.apply(reset(editor.mask)),
    invert: () => editor.apply(invert(editor.mask)),
    undo: () => editor.undoStep(),
    redo: () => editor.redoStep(),
    hideTopK: () => topK(hideTopK),
    keepTopK: () => topK(keepTopK),
    kChanged: () => {
      const { k, changed } = editor.setK(controls.kText);
      if (changed) model.save_changes();
      controls.showK(k);
      frame.request(updatePanel);
    },
    selectClass: (id) => selectClass(id),
  });

  function draw(): void {
    const s = snapshot();
    const colors = legend.update(selectedClass(s), s.mask.length, s.showHeatmap, s.heatmapMethod);
    canvas.draw(s.mask, s.showHeatmap ? colors : null, s.heatmapOpacity);
  }

  const selectClass = (id: number): void => {
    model.set("selected_label", id);
    model.save_changes();
  };
  const shortcuts: Record<Shortcut, () => void> = {
    undo: () => editor.undoStep(),
    redo: () => editor.redoStep(),
    reset: () => editor.apply(reset(editor.mask)),
    invert: () => editor.apply(invert(editor.mask)),
    hideTopK: () => topK(hideTopK),
    keepTopK: () => topK(keepTopK),
    nextClass: () => {
      const s = snapshot();
      selectClass(
        cycleClass(
          s.classes.map((c) => c.id),
          s.selected,
          1,
        ),
      );
    },
    prevClass: () => {
      const s = snapshot();
      selectClass(
        cycleClass(
          s.classes.map((c) => c.id),
          s.selected,
          -1,
        ),
      );
    },
    heatmap: () => {
      model.set("show_heatmap", !model.get("show_heatmap"));
      model.save_changes();
    },
    help: () => controls.toggleHelp(),
  };
  /**
   * Keys typed anywhere in the widget. Listened for on the window in the capture phase, so before the
   * notebook sees them: Notebook 7 handles its command-mode shortcuts (m, r, z, Enter, ...) in the capture
   * phase of the document, which a listener on the widget would only see afterwards, if at all.
   * composedPath() also finds the widget inside a shadow root (marimo).
   */
  const onKey = (e: KeyboardEvent): void => {
    if (!e.composedPath().includes(layout.root)) return;
    const target = e.composedPath()[0] as HTMLElement | undefined;
    let handled = false;
    if (target === layout.canvas) handled = canvas.handleKey(e);
    if (!handled) {
      // Typing in the k input, the class list or the slider keeps its own meaning.
      if (target !== undefined && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) return;
      const action = shortcutFor(e);
      if (action === null) return;
      shortcuts[action]();
    }
    e.preventDefault();
    e.stopPropagation(); // not a notebook shortcut too (z, m, y, ... mean something in command mode)
  };
  window.addEventListener("keydown", onKey, true);

  function updatePanel(): void {
    const s = snapshot();
    scorePanel.update(s, localError);
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
    ],
    () => frame.request(updatePanel),
  );
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
    window.removeEventListener("keydown", onKey, true);
    for (const [name, cb] of listeners) model.off(name, cb);
    listeners.length = 0;
    canvas.dispose();
    controls.dispose();
    history.dispose();
    layout.root.remove();
  };
}

export { render };
export default { render };

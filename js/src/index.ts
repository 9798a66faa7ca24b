/**
 * anywidget front end of lime_widget. `render` only wires the view (js/src/view) to the model
 * events and returns the cleanup; the logic lives in js/src/core. Protocol: docs/protocol.md.
 */

import type { RenderProps } from "@anywidget/types";
import { formatTooltip } from "./core/format";
import { hideTopK, invert, keepTopK, maskFromHidden, reset } from "./core/masks";
import { maskSummary } from "./core/panel";
import { readImageSource, readSnapshot, selectedClass, selectedWeights } from "./core/traits";
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
    const weights = selectedWeights(snapshot());
    controls.showK(editor.topK((k) => op(weights, k), controls.kText));
    frame.request(updatePanel);
  };
  const controls = new Controls(layout.controls, {
    heatmap: (on) => {
      model.set("show_heatmap", on);
      model.save_changes();
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
    selectClass: (id) => {
      model.set("selected_label", id);
      model.save_changes();
    },
  });

  function draw(): void {
    const s = snapshot();
    const colors = legend.update(selectedClass(s), s.mask.length, s.showHeatmap);
    canvas.draw(s.mask, s.showHeatmap ? colors : null);
  }

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
    ],
    () => frame.request(updatePanel),
  );
  listen(["show_heatmap", "selected_label", "classes"], refresh);
  listen(IMAGE_TRAITS, () => frame.request(load));

  draw();
  updatePanel();
  load();

  return () => {
    frame.dispose();
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

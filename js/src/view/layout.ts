/**
 * The widget's DOM, assembled from the panels (each builds and updates its own part): the image
 * column (canvas, legend, toolbars, keyboard help, curve) and the panel (class selector and status,
 * scores, class table, probe history); and the wiring of the action table's buttons.
 */

import type { ActionTable } from "../core/actions";
import type { ImageCanvas } from "./canvas";
import type { Controls } from "./controls";
import type { CurvePlot } from "./curvePlot";
import { h } from "./dom";
import type { Help } from "./help";
import type { HistoryList } from "./history";
import type { Legend } from "./legend";
import type { ScorePanel } from "./scorePanel";

export interface Panels {
  canvas: ImageCanvas;
  legend: Legend;
  controls: Controls;
  help: Help;
  curve: CurvePlot;
  scores: ScorePanel;
  history: HistoryList;
}

/** The widget's root element, holding the panels. */
export function assemble(p: Panels): HTMLDivElement {
  const view = h("div", { class: "lime-view" }, [
    p.canvas.root,
    p.legend.root,
    ...p.controls.toolbars,
    p.help.root,
    p.curve.root,
  ]);
  const panel = h("div", { class: "lime-panel" }, [
    h("div", { class: "lime-header" }, [p.controls.classPicker, p.scores.status]),
    ...p.scores.nodes,
    p.history.root,
  ]);
  // No data-lm-suppress-shortcuts: JupyterLab's own shortcuts (Ctrl+S, Ctrl+B, ...) keep working while the
  // widget has the focus; the keys the widget uses are stopped by its own listener (index.ts).
  return h("div", { class: "lime-widget" }, [view, panel]);
}

/**
 * A click on a button of `actions` (found in `root` by its data-testid) runs its action, until
 * `signal` aborts. A button the table names but `root` lacks is a bug: it throws.
 */
export function bindButtons(root: ParentNode, actions: ActionTable, signal: AbortSignal): void {
  for (const { buttons, run } of Object.values(actions)) {
    for (const testid of buttons) {
      const el = root.querySelector(`[data-testid="${testid}"]`);
      if (el === null) throw new Error(`no button with data-testid "${testid}" for an action`);
      el.addEventListener("click", () => run(), { signal });
    }
  }
}

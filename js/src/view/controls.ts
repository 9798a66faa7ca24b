/**
 * The controls: class selector, heatmap toggle, mask buttons (reset, undo, redo, invert) and the
 * top-k input and buttons.
 */

import { weightsUsable } from "../core/heatmap";
import { flipView, topKTexts } from "../core/panel";
import { hasGradcam, type Snapshot, shownScores } from "../core/traits";
import { MAX_ZOOM, MIN_ZOOM, zoomText } from "../core/zoom";
import type { ClassInfo, HeatmapMethod } from "../protocol";
import { h, setText } from "./dom";
import type { ControlParts } from "./layout";

export interface ControlHandlers {
  heatmap(on: boolean): void;
  /** "Find smallest flip" was clicked. */
  findFlip(): void;
  /** "Hide them" was clicked: hide these superpixels. */
  showFlip(hidden: number[]): void;
  /** The heatmap method was chosen. */
  method(method: HeatmapMethod): void;
  /** The opacity slider moved (0..1); `done` once the user let go of it. */
  opacity(value: number, done: boolean): void;
  /** Zoom in (+1), out (-1), or fit the image again (0). */
  zoom(step: 1 | -1 | 0): void;
  reset(): void;
  invert(): void;
  undo(): void;
  redo(): void;
  hideTopK(): void;
  keepTopK(): void;
  /** The k input was edited (read it with `kText`). */
  kChanged(): void;
  selectClass(id: number): void;
}

export interface UndoState {
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}

export class Controls {
  private readonly events = new AbortController();
  private classes: readonly ClassInfo[] | null = null;
  private flipHidden: number[] | null = null;

  constructor(
    private readonly c: ControlParts,
    handlers: ControlHandlers,
  ) {
    const on = { signal: this.events.signal };
    c.heatmapToggle.addEventListener("change", () => handlers.heatmap(c.heatmapToggle.checked), on);
    const opacity = (done: boolean) => handlers.opacity(Number(c.opacity.value) / 100, done);
    c.opacity.addEventListener("input", () => opacity(false), on);
    c.opacity.addEventListener("change", () => opacity(true), on);
    c.helpButton.addEventListener("click", () => this.toggleHelp(), on);
    c.zoomIn.addEventListener("click", () => handlers.zoom(1), on);
    c.zoomOut.addEventListener("click", () => handlers.zoom(-1), on);
    c.zoomReset.addEventListener("click", () => handlers.zoom(0), on);
    c.flipFind.addEventListener("click", () => handlers.findFlip(), on);
    c.flipShow.addEventListener(
      "click",
      () => {
        if (this.flipHidden !== null) handlers.showFlip(this.flipHidden);
      },
      on,
    );
    c.method.addEventListener(
      "change",
      () => handlers.method(c.method.value === "gradcam" ? "gradcam" : "lime"),
      on,
    );
    c.reset.addEventListener("click", () => handlers.reset(), on);
    c.invert.addEventListener("click", () => handlers.invert(), on);
    c.undo.addEventListener("click", () => handlers.undo(), on);
    c.redo.addEventListener("click", () => handlers.redo(), on);
    c.hideTop.addEventListener("click", () => handlers.hideTopK(), on);
    c.keepTop.addEventListener("click", () => handlers.keepTopK(), on);
    c.kInput.addEventListener("change", () => handlers.kChanged(), on);
    c.classSelect.addEventListener(
      "change",
      () => {
        const id = Number(c.classSelect.value);
        if (Number.isFinite(id)) handlers.selectClass(id);
      },
      on,
    );
  }

  /** Show or hide the list of keyboard shortcuts. */
  toggleHelp(): void {
    const help = this.c.help;
    help.hidden = !help.hidden;
    this.c.helpButton.setAttribute("aria-expanded", String(!help.hidden));
  }

  /** Show the zoom factor; the buttons at the ends of the range are disabled. */
  showZoom(zoom: number): void {
    const c = this.c;
    setText(c.zoomReset, zoomText(zoom));
    c.zoomReset.setAttribute("data-zoom", String(zoom));
    c.zoomIn.disabled = zoom >= MAX_ZOOM;
    c.zoomOut.disabled = zoom <= MIN_ZOOM;
  }

  /** The text typed in the k input. */
  get kText(): string {
    return this.c.kInput.value;
  }

  /** Put `k` (as clamped) back into the k input. */
  showK(k: number): void {
    this.c.kInput.value = String(k);
  }

  update(s: Snapshot, undo: UndoState): void {
    const c = this.c;
    if (s.classes !== this.classes) {
      this.classes = s.classes;
      const opts = s.classes.map((x) =>
        h("option", { text: x.name, attrs: { value: String(x.id) } }),
      );
      c.classSelect.replaceChildren(...opts);
      c.classSelect.disabled = opts.length === 0;
    }
    const selected = String(s.selected);
    if (c.classSelect.value !== selected) c.classSelect.value = selected;
    c.undo.disabled = !undo.canUndo;
    c.redo.disabled = !undo.canRedo;
    const n = s.mask.length;
    c.reset.disabled = n === 0;
    c.invert.disabled = n === 0;
    const usable = weightsUsable(shownScores(s), n);
    c.hideTop.disabled = !usable;
    c.keepTop.disabled = !usable;
    if (document.activeElement !== c.kInput) this.showK(s.topK);
    c.kInput.max = String(Math.max(1, n));
    const t = topKTexts(s.topK);
    setText(c.hideTop, t.hide);
    setText(c.keepTop, t.keep);
    c.hideTop.setAttribute("aria-label", t.hideLabel);
    c.keepTop.setAttribute("aria-label", t.keepLabel);
    c.heatmapToggle.checked = s.showHeatmap;
    c.opacity.disabled = !s.showHeatmap;
    c.methodLabel.hidden = !hasGradcam(s.classes);
    const flip = flipView(s.flip, n);
    this.flipHidden = flip.hidden;
    setText(c.flipResult, flip.text);
    c.flipFind.disabled = flip.running || s.offline || n === 0;
    c.flipShow.hidden = flip.hidden === null;
    if (c.method.value !== s.heatmapMethod) c.method.value = s.heatmapMethod;
    if (document.activeElement !== c.opacity)
      c.opacity.value = String(Math.round(s.heatmapOpacity * 100));
  }

  dispose(): void {
    this.events.abort();
  }
}

/**
 * The controls: the toolbars under the image (heatmap toggle, method and opacity; zoom; mask
 * buttons reset, undo, redo, invert; the top-k input and buttons; the smallest flip) and the class
 * selector. Built and updated here; their buttons run the actions of core/actions.ts.
 */

import { weightsUsable } from "../core/heatmap";
import { flipView, topKTexts } from "../core/panel";
import { hasGradcam, type Snapshot, shownScores } from "../core/traits";
import { MAX_ZOOM, MIN_ZOOM, zoomText } from "../core/zoom";
import type { ClassInfo, HeatmapMethod } from "../protocol";
import { button, h, setText } from "./dom";

export interface ControlHandlers {
  /** The heatmap checkbox changed. */
  heatmap(on: boolean): void;
  /** The heatmap method was chosen. */
  method(method: HeatmapMethod): void;
  /** The opacity slider moved (0..1); `done` once the user let go of it. */
  opacity(value: number, done: boolean): void;
  /** The k input was edited (read it with `kText`). */
  kChanged(): void;
  selectClass(id: number): void;
}

export interface UndoState {
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}

export class Controls {
  /** The toolbars under the image: heatmap, zoom, mask actions, top-k actions, smallest flip. */
  readonly toolbars: readonly HTMLDivElement[];
  /** The tracked class' label and selector (placed in the panel's header). */
  readonly classPicker: HTMLLabelElement;
  private readonly events = new AbortController();
  private classes: readonly ClassInfo[] | null = null;
  private flipFound: number[] | null = null;
  private readonly heatmapToggle = h("input", {
    testid: "lime-heatmap-toggle",
    attrs: { type: "checkbox" },
  });
  private readonly method = h(
    "select",
    { class: "lime-select", testid: "lime-method", attrs: { "aria-label": "Heatmap method" } },
    [
      h("option", { text: "LIME weights", attrs: { value: "lime" } }),
      h("option", { text: "Grad-CAM", attrs: { value: "gradcam" } }),
    ],
  );
  /** LIME weights or Grad-CAM (hidden without Grad-CAM). */
  private readonly methodLabel = h("label", { class: "lime-select-label" }, [
    document.createTextNode("map "),
    this.method,
  ]);
  /** Heatmap opacity, 0..100 (percent). */
  private readonly opacity = h("input", {
    class: "lime-opacity",
    testid: "lime-opacity",
    attrs: {
      type: "range",
      min: "0",
      max: "100",
      step: "5",
      "aria-label": "Heatmap opacity",
      title: "Heatmap opacity",
    },
  });
  private readonly zoomOut = button("−", "lime-zoom-out", "Zoom out");
  /** Shows the zoom factor; a click fits the image again. */
  private readonly zoomReset = button("100%", "lime-zoom-reset", "Fit the image (zoom 100%)");
  private readonly zoomIn = button("+", "lime-zoom-in", "Zoom in");
  private readonly reset = button("Reset", "lime-reset", "Show all superpixels");
  private readonly undo = button("Undo", "lime-undo", "Undo last mask change");
  private readonly redo = button("Redo", "lime-redo", "Redo mask change");
  private readonly invert = button("Invert", "lime-invert", "Invert mask: hide shown, show hidden");
  private readonly kInput = h("input", {
    class: "lime-k",
    testid: "lime-topk-input",
    attrs: { type: "number", min: "1", step: "1", inputmode: "numeric" },
  });
  private readonly hideTop = button("Hide top k", "lime-hide-topk");
  private readonly keepTop = button("Keep top k", "lime-keep-topk");
  private readonly flipFind = button(
    "Find smallest flip",
    "lime-flip-find",
    "Search a small set of superpixels whose hiding changes the top class",
  );
  private readonly flipShow = button(
    "Hide them",
    "lime-flip-show",
    "Hide the superpixels of the flip found",
  );
  private readonly flipResult = h("span", {
    class: "lime-flip-result",
    testid: "lime-flip-result",
    attrs: { role: "status", "aria-live": "polite" },
  });
  private readonly classSelect = h("select", {
    class: "lime-select",
    testid: "lime-class",
    attrs: { "aria-label": "Tracked class" },
  });

  /**
   * The buttons are wired by the action table (core/actions.ts, by data-testid); `handlers` get the
   * other inputs.
   * @param helpButton the keyboard help's button, shown in the heatmap toolbar
   */
  constructor(helpButton: HTMLElement, handlers: ControlHandlers) {
    this.methodLabel.hidden = true;
    const toolbar = (label: string, children: Node[]) =>
      h(
        "div",
        { class: "lime-toolbar", attrs: { role: "toolbar", "aria-label": label } },
        children,
      );
    const text = (t: string) => document.createTextNode(t);
    this.toolbars = [
      toolbar("Heatmap", [
        h("label", { class: "lime-check" }, [this.heatmapToggle, text(" heatmap")]),
        this.methodLabel,
        h("label", { class: "lime-opacity-label" }, [text("opacity "), this.opacity]),
        helpButton,
      ]),
      toolbar("Zoom", [
        h("span", { class: "lime-select-label", text: "zoom" }),
        this.zoomOut,
        this.zoomReset,
        this.zoomIn,
      ]),
      toolbar("Mask actions", [this.reset, this.undo, this.redo, this.invert]),
      toolbar("Top-k actions", [
        h("label", { class: "lime-k-label" }, [text("k "), this.kInput]),
        this.hideTop,
        this.keepTop,
      ]),
      toolbar("Smallest flip", [this.flipFind, this.flipResult, this.flipShow]),
    ];
    this.classPicker = h("label", { class: "lime-select-label" }, [
      text("Class "),
      this.classSelect,
    ]);

    const on = { signal: this.events.signal };
    this.heatmapToggle.addEventListener(
      "change",
      () => handlers.heatmap(this.heatmapToggle.checked),
      on,
    );
    const opacity = (done: boolean) => handlers.opacity(Number(this.opacity.value) / 100, done);
    this.opacity.addEventListener("input", () => opacity(false), on);
    this.opacity.addEventListener("change", () => opacity(true), on);
    this.method.addEventListener(
      "change",
      () => handlers.method(this.method.value === "gradcam" ? "gradcam" : "lime"),
      on,
    );
    this.kInput.addEventListener("change", () => handlers.kChanged(), on);
    this.classSelect.addEventListener(
      "change",
      () => {
        const id = Number(this.classSelect.value);
        if (Number.isFinite(id)) handlers.selectClass(id);
      },
      on,
    );
  }

  /** The superpixels of the flip found ("Hide them" hides them); null when none was found. */
  get flipHidden(): number[] | null {
    return this.flipFound;
  }

  /** Show the zoom factor; the buttons at the ends of the range are disabled. */
  showZoom(zoom: number): void {
    setText(this.zoomReset, zoomText(zoom));
    this.zoomReset.setAttribute("data-zoom", String(zoom));
    this.zoomIn.disabled = zoom >= MAX_ZOOM;
    this.zoomOut.disabled = zoom <= MIN_ZOOM;
  }

  /** The text typed in the k input. */
  get kText(): string {
    return this.kInput.value;
  }

  /** Put `k` (as clamped) back into the k input. */
  showK(k: number): void {
    this.kInput.value = String(k);
  }

  update(s: Snapshot, undo: UndoState): void {
    if (s.classes !== this.classes) {
      this.classes = s.classes;
      const opts = s.classes.map((x) =>
        h("option", { text: x.name, attrs: { value: String(x.id) } }),
      );
      this.classSelect.replaceChildren(...opts);
      this.classSelect.disabled = opts.length === 0;
    }
    const selected = String(s.selected);
    if (this.classSelect.value !== selected) this.classSelect.value = selected;
    this.undo.disabled = !undo.canUndo;
    this.redo.disabled = !undo.canRedo;
    const n = s.mask.length;
    this.reset.disabled = n === 0;
    this.invert.disabled = n === 0;
    const usable = weightsUsable(shownScores(s), n);
    this.hideTop.disabled = !usable;
    this.keepTop.disabled = !usable;
    if (document.activeElement !== this.kInput) this.showK(s.topK);
    this.kInput.max = String(Math.max(1, n));
    const t = topKTexts(s.topK);
    setText(this.hideTop, t.hide);
    setText(this.keepTop, t.keep);
    this.hideTop.setAttribute("aria-label", t.hideLabel);
    this.keepTop.setAttribute("aria-label", t.keepLabel);
    this.heatmapToggle.checked = s.showHeatmap;
    this.opacity.disabled = !s.showHeatmap;
    this.methodLabel.hidden = !hasGradcam(s.classes);
    const flip = flipView(s.flip, n);
    this.flipFound = flip.hidden;
    setText(this.flipResult, flip.text);
    this.flipFind.disabled = flip.running || s.offline || n === 0;
    this.flipShow.hidden = flip.hidden === null;
    if (this.method.value !== s.heatmapMethod) this.method.value = s.heatmapMethod;
    if (document.activeElement !== this.opacity)
      this.opacity.value = String(Math.round(s.heatmapOpacity * 100));
  }

  dispose(): void {
    this.events.abort();
  }
}

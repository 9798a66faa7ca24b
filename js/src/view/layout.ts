/**
 * The widget's DOM: the image column (canvas, legend, toolbars) and the panel (class selector,
 * status, scores, class table, probe history). Built once; the other view modules fill it in.
 */

import { legendGradient } from "../core/colormap";
import { PLOT_BOX, yOf } from "../core/curve";
import { SHORTCUT_HELP } from "../core/shortcuts";
import { button, h } from "./dom";

export interface Layout {
  root: HTMLDivElement;
  canvas: HTMLCanvasElement;
  canvasWrap: HTMLDivElement;
  /** The canvas' scrolling frame (scrolls once zoomed). */
  viewport: HTMLDivElement;
  tooltip: HTMLDivElement;
  curve: CurveParts;
  legend: LegendParts;
  controls: ControlParts;
  panel: PanelParts;
  historyList: HTMLOListElement;
}

export interface LegendParts {
  legend: HTMLDivElement;
  title: HTMLDivElement;
  bar: HTMLDivElement;
  tickMin: HTMLSpanElement;
  tickMax: HTMLSpanElement;
  /** What the colours mean (LIME: for/against; Grad-CAM: evidence only). */
  note: HTMLDivElement;
  /** Line on the faded (within-noise) superpixels; hidden when the std is unknown. */
  noise: HTMLDivElement;
}

export interface CurveParts {
  /** The collapsible section; opening it shows (and so scores) the curve. */
  details: HTMLDetailsElement;
  ranking: HTMLSelectElement;
  /** The Grad-CAM option of `ranking` (hidden without Grad-CAM). */
  gradcamOption: HTMLOptionElement;
  mode: HTMLSelectElement;
  svg: SVGSVGElement;
  /** The scored points' polyline. */
  line: SVGPathElement;
  /** One dot per point (rebuilt when the points change). */
  dots: SVGGElement;
  /** The mask on screen: a vertical line and a marker. */
  nowLine: SVGLineElement;
  nowDot: SVGCircleElement;
  /** The keyboard / hover cursor. */
  cursor: SVGCircleElement;
  xLabel: SVGTextElement;
  caption: HTMLDivElement;
  /** The point under the pointer or the keyboard cursor. */
  readout: HTMLDivElement;
}

export interface ControlParts {
  heatmapToggle: HTMLInputElement;
  /** LIME weights or Grad-CAM (hidden without Grad-CAM). */
  methodLabel: HTMLLabelElement;
  method: HTMLSelectElement;
  /** Heatmap opacity, 0..100 (percent). */
  opacity: HTMLInputElement;
  helpButton: HTMLButtonElement;
  /** The list of keyboard shortcuts, shown by the help button or "?". */
  help: HTMLDivElement;
  zoomOut: HTMLButtonElement;
  /** Shows the zoom factor; a click fits the image again. */
  zoomReset: HTMLButtonElement;
  zoomIn: HTMLButtonElement;
  reset: HTMLButtonElement;
  undo: HTMLButtonElement;
  redo: HTMLButtonElement;
  invert: HTMLButtonElement;
  kInput: HTMLInputElement;
  flipFind: HTMLButtonElement;
  flipShow: HTMLButtonElement;
  flipResult: HTMLSpanElement;
  hideTop: HTMLButtonElement;
  keepTop: HTMLButtonElement;
  classSelect: HTMLSelectElement;
}

export interface PanelParts {
  status: HTMLSpanElement;
  errorBox: HTMLDivElement;
  scoreNow: HTMLElement;
  scoreOriginal: HTMLElement;
  scoreChange: HTMLElement;
  scoreSurrogate: HTMLElement;
  surrogateLabel: HTMLElement;
  scoreR2: HTMLElement;
  stabilityLabel: HTMLElement;
  stability: HTMLElement;
  hiddenCount: HTMLElement;
  /** "LIME vs Grad-CAM" row (hidden without Grad-CAM). */
  agreementLabel: HTMLElement;
  agreement: HTMLElement;
  topBanner: HTMLDivElement;
  classTable: HTMLTableElement;
  classBody: HTMLTableSectionElement;
}

function buildLegend(): LegendParts {
  const title = h("div", { class: "lime-legend-title" });
  const bar = h("div", {
    class: "lime-legend-bar",
    attrs: { role: "img", "aria-label": "colour scale" },
  });
  bar.style.background = legendGradient();
  const tickMin = h("span", { class: "lime-tick" });
  const tickMax = h("span", { class: "lime-tick" });
  const note = h("div", { class: "lime-legend-note", testid: "lime-legend-note" });
  const noise = h("div", { class: "lime-legend-note lime-legend-noise" });
  noise.hidden = true;
  const legend = h("div", { class: "lime-legend", testid: "lime-legend" }, [
    title,
    bar,
    h("div", { class: "lime-legend-ticks" }, [
      tickMin,
      h("span", { class: "lime-tick", text: "0" }),
      tickMax,
    ]),
    note,
    noise,
  ]);
  return { legend, title, bar, tickMin, tickMax, note, noise };
}

function buildHelp(): HTMLDivElement {
  const rows = SHORTCUT_HELP.flatMap((x) => [
    h("dt", {}, [h("kbd", { text: x.keys })]),
    h("dd", { text: x.text }),
  ]);
  const help = h(
    "div",
    {
      class: "lime-help",
      testid: "lime-help",
      attrs: { id: `lime-help-${Math.random().toString(36).slice(2)}`, role: "note" },
    },
    [
      h("div", {
        class: "lime-help-title",
        text: "Keys (click the image or press Tab to focus it)",
      }),
      h("dl", {}, rows),
      h("div", {
        class: "lime-help-title",
        text: "Drag across the image to hide (or show) many superpixels in one probe.",
      }),
      h("div", {
        class: "lime-help-title",
        text: "Zoomed in: Ctrl+wheel zooms at the pointer; Shift+drag, a middle-button drag or the wheel pans.",
      }),
    ],
  );
  help.hidden = true;
  return help;
}

function buildControls(): ControlParts {
  const help = buildHelp();
  const helpButton = button("?", "lime-help-button", "Keyboard shortcuts");
  helpButton.setAttribute("aria-expanded", "false");
  helpButton.setAttribute("aria-controls", help.id);
  helpButton.setAttribute("aria-label", "Keyboard shortcuts");
  const method = h(
    "select",
    { class: "lime-select", testid: "lime-method", attrs: { "aria-label": "Heatmap method" } },
    [
      h("option", { text: "LIME weights", attrs: { value: "lime" } }),
      h("option", { text: "Grad-CAM", attrs: { value: "gradcam" } }),
    ],
  );
  const methodLabel = h("label", { class: "lime-select-label" }, [
    document.createTextNode("map "),
    method,
  ]);
  methodLabel.hidden = true;
  return {
    methodLabel,
    method,
    heatmapToggle: h("input", { testid: "lime-heatmap-toggle", attrs: { type: "checkbox" } }),
    opacity: h("input", {
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
    }),
    helpButton,
    help,
    zoomOut: button("−", "lime-zoom-out", "Zoom out"),
    zoomReset: button("100%", "lime-zoom-reset", "Fit the image (zoom 100%)"),
    zoomIn: button("+", "lime-zoom-in", "Zoom in"),
    reset: button("Reset", "lime-reset", "Show all superpixels"),
    undo: button("Undo", "lime-undo", "Undo last mask change"),
    redo: button("Redo", "lime-redo", "Redo mask change"),
    invert: button("Invert", "lime-invert", "Invert mask: hide shown, show hidden"),
    kInput: h("input", {
      class: "lime-k",
      testid: "lime-topk-input",
      attrs: { type: "number", min: "1", step: "1", inputmode: "numeric" },
    }),
    flipFind: button(
      "Find smallest flip",
      "lime-flip-find",
      "Search a small set of superpixels whose hiding changes the top class",
    ),
    flipShow: button("Hide them", "lime-flip-show", "Hide the superpixels of the flip found"),
    flipResult: h("span", {
      class: "lime-flip-result",
      testid: "lime-flip-result",
      attrs: { role: "status", "aria-live": "polite" },
    }),
    hideTop: button("Hide top k", "lime-hide-topk"),
    keepTop: button("Keep top k", "lime-keep-topk"),
    classSelect: h("select", {
      class: "lime-select",
      testid: "lime-class",
      attrs: { "aria-label": "Tracked class" },
    }),
  };
}

function buildPanel(): PanelParts {
  const value = (cls: string, testid?: string): HTMLElement =>
    h("dd", testid === undefined ? { class: cls } : { class: cls, testid });
  const status = h("span", {
    class: "lime-status",
    testid: "lime-status",
    attrs: { role: "status", "aria-live": "polite" },
  });
  const errorBox = h("div", {
    class: "lime-error",
    testid: "lime-error",
    attrs: { role: "alert" },
  });
  errorBox.hidden = true;
  const topBanner = h("div", { class: "lime-banner", attrs: { role: "status" } });
  topBanner.hidden = true;
  const col = (text: string) => h("th", { text, attrs: { scope: "col" } });
  const classBody = h("tbody");
  const classTable = h("table", { class: "lime-classes", testid: "lime-classes" }, [
    h("caption", { text: "Top classes" }),
    h("thead", {}, [h("tr", {}, [col("class"), col("prob now"), col("prob orig."), col("rank")])]),
    classBody,
  ]);
  return {
    status,
    errorBox,
    scoreNow: value("lime-value lime-now", "lime-score"),
    scoreOriginal: value("lime-value", "lime-original"),
    scoreChange: value("lime-value", "lime-change"),
    scoreSurrogate: value("lime-value", "lime-surrogate"),
    surrogateLabel: h("dt", {
      text: "Surrogate",
      testid: "lime-surrogate-label",
      attrs: { title: "Prediction of the linear LIME surrogate for this mask" },
    }),
    scoreR2: value("lime-value lime-r2"),
    stabilityLabel: h("dt", { class: "lime-stability-label" }),
    stability: value("lime-value lime-stability", "lime-stability"),
    hiddenCount: value("lime-value lime-hidden-count"),
    agreementLabel: h("dt", {
      text: "LIME vs Grad-CAM",
      attrs: {
        title:
          "Spearman rank correlation of LIME's weights and Grad-CAM over the superpixels, and how many of " +
          "their top superpixels they share",
      },
    }),
    agreement: value("lime-value", "lime-agreement"),
    topBanner,
    classTable,
    classBody,
  };
}

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  children: readonly Node[] = [],
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) el.appendChild(child);
  return el;
}

function buildCurve(): CurveParts {
  const { width, height, left, right, top, bottom } = PLOT_BOX;
  const x0 = String(left);
  const x1 = String(width - right);
  const y0 = String(height - bottom);
  const y1 = String(top);
  const tick = (y: number, text: string) =>
    svg(
      "text",
      {
        x: String(left - 4),
        y: String(yOf(y) + 3),
        "text-anchor": "end",
        class: "lime-curve-tick",
      },
      [document.createTextNode(text)],
    );
  const xLabel = svg("text", {
    x: String((left + width - right) / 2),
    y: String(height - 6),
    "text-anchor": "middle",
    class: "lime-curve-tick",
  });
  const line = svg("path", { class: "lime-curve-line", fill: "none" });
  const dots = svg("g", { class: "lime-curve-dots" });
  const nowLine = svg("line", { class: "lime-curve-now-line", y1, y2: y0 });
  const nowDot = svg("circle", { class: "lime-curve-now", r: "5" });
  const cursor = svg("circle", { class: "lime-curve-cursor", r: "6" });
  const plot = svg(
    "svg",
    {
      class: "lime-curve-plot",
      viewBox: `0 0 ${width} ${height}`,
      width: String(width),
      height: String(height),
      tabindex: "0",
      role: "img",
      "data-testid": "lime-curve-plot",
      "aria-label": "Deletion curve",
    },
    [
      svg("line", { class: "lime-curve-axis", x1: x0, x2: x1, y1: y0, y2: y0 }),
      svg("line", { class: "lime-curve-axis", x1: x0, x2: x0, y1, y2: y0 }),
      svg("line", {
        class: "lime-curve-grid",
        x1: x0,
        x2: x1,
        y1: String(yOf(0.5)),
        y2: String(yOf(0.5)),
      }),
      tick(0, "0"),
      tick(0.5, "0.5"),
      tick(1, "1"),
      xLabel,
      nowLine,
      line,
      dots,
      nowDot,
      cursor,
    ],
  );
  const gradcamOption = h("option", { text: "Grad-CAM", attrs: { value: "gradcam" } });
  const ranking = h(
    "select",
    {
      class: "lime-select",
      testid: "lime-curve-ranking",
      attrs: { "aria-label": "Curve ranking" },
    },
    [
      h("option", { text: "LIME weights", attrs: { value: "lime" } }),
      gradcamOption,
      h("option", { text: "random", attrs: { value: "random" } }),
    ],
  );
  const mode = h(
    "select",
    { class: "lime-select", testid: "lime-curve-mode", attrs: { "aria-label": "Curve mode" } },
    [
      h("option", { text: "deletion", attrs: { value: "deletion" } }),
      h("option", { text: "insertion", attrs: { value: "insertion" } }),
    ],
  );
  const caption = h("div", { class: "lime-curve-caption", testid: "lime-curve-caption" });
  const readout = h("div", {
    class: "lime-curve-readout",
    testid: "lime-curve-readout",
    attrs: { "aria-live": "polite" },
  });
  const details = h("details", { class: "lime-curve", testid: "lime-curve" }, [
    h("summary", { text: "Deletion / insertion curve", testid: "lime-curve-toggle" }),
    h("div", { class: "lime-toolbar" }, [
      h("label", { class: "lime-select-label" }, [document.createTextNode("order "), ranking]),
      h("label", { class: "lime-select-label" }, [document.createTextNode("mode "), mode]),
    ]),
    plot,
    readout,
    caption,
  ]);
  return {
    details,
    ranking,
    gradcamOption,
    mode,
    svg: plot,
    line,
    dots,
    nowLine,
    nowDot,
    cursor,
    xLabel,
    caption,
    readout,
  };
}

export function buildLayout(): Layout {
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
  const viewport = h("div", { class: "lime-viewport", testid: "lime-viewport" }, [canvas]);
  const canvasWrap = h("div", { class: "lime-canvas-wrap" }, [viewport, tooltip]);
  const curve = buildCurve();
  const legend = buildLegend();
  const c = buildControls();
  const toolbar = (label: string, children: Node[]) =>
    h("div", { class: "lime-toolbar", attrs: { role: "toolbar", "aria-label": label } }, children);
  const view = h("div", { class: "lime-view" }, [
    canvasWrap,
    legend.legend,
    toolbar("Heatmap", [
      h("label", { class: "lime-check" }, [c.heatmapToggle, document.createTextNode(" heatmap")]),
      c.methodLabel,
      h("label", { class: "lime-opacity-label" }, [document.createTextNode("opacity "), c.opacity]),
      c.helpButton,
    ]),
    toolbar("Zoom", [
      h("span", { class: "lime-select-label", text: "zoom" }),
      c.zoomOut,
      c.zoomReset,
      c.zoomIn,
    ]),
    toolbar("Mask actions", [c.reset, c.undo, c.redo, c.invert]),
    toolbar("Top-k actions", [
      h("label", { class: "lime-k-label" }, [document.createTextNode("k "), c.kInput]),
      c.hideTop,
      c.keepTop,
    ]),
    toolbar("Smallest flip", [c.flipFind, c.flipResult, c.flipShow]),
    c.help,
    curve.details,
  ]);

  const p = buildPanel();
  const historyList = h("ol", { class: "lime-history", testid: "lime-history" });
  const panel = h("div", { class: "lime-panel" }, [
    h("div", { class: "lime-header" }, [
      h("label", { class: "lime-select-label" }, [
        document.createTextNode("Class "),
        c.classSelect,
      ]),
      p.status,
    ]),
    p.errorBox,
    h("dl", { class: "lime-scores" }, [
      h("dt", { text: "Probability now" }),
      p.scoreNow,
      h("dt", { text: "Original" }),
      p.scoreOriginal,
      h("dt", { text: "Change" }),
      p.scoreChange,
      p.surrogateLabel,
      p.scoreSurrogate,
      h("dt", { text: "Surrogate R²" }),
      p.scoreR2,
      p.stabilityLabel,
      p.stability,
      h("dt", { text: "Hidden" }),
      p.hiddenCount,
      p.agreementLabel,
      p.agreement,
    ]),
    p.topBanner,
    p.classTable,
    h("section", { class: "lime-history-section" }, [
      h("h4", { class: "lime-subtitle", text: "Probes (latest first)" }),
      historyList,
    ]),
  ]);
  // No data-lm-suppress-shortcuts: JupyterLab's own shortcuts (Ctrl+S, Ctrl+B, ...) keep working while the
  // widget has the focus; the keys the widget uses are stopped by its own listener (index.ts).
  const root = h("div", { class: "lime-widget" }, [view, panel]);
  return {
    root,
    canvas,
    canvasWrap,
    viewport,
    tooltip,
    curve,
    legend,
    controls: c,
    panel: p,
    historyList,
  };
}

/**
 * The deletion / insertion curve (built and updated here): a small SVG plot of the model's score while the superpixels are
 * hidden (or shown) in the order of a ranking, with the mask on screen marked. Clicking a point, or
 * choosing it with the arrow keys and pressing Enter, sets the mask to that point's ("first k hidden").
 */

import {
  axisLabel,
  type CurveData,
  type CurveMode,
  cursorKey,
  curveCaption,
  curveMask,
  curvePath,
  maskCount,
  nearestPoint,
  PLOT_BOX,
  pointOfMask,
  pointText,
  readCurve,
  xOf,
  yOf,
} from "../core/curve";
import { formatProb } from "../core/format";
import { scoreOf } from "../core/scores";
import type { Snapshot } from "../core/traits";
import { h, setText, svg } from "./dom";

export interface CurveHandlers {
  /** The section was opened (true) or closed. */
  show(on: boolean): void;
  ranking(value: string): void;
  mode(value: CurveMode): void;
  /** A point was chosen: apply its mask. */
  apply(mask: boolean[]): void;
}

/** The parts of the plot the view updates. */
interface CurveParts {
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

export class CurvePlot {
  /** The collapsible section; opening it shows (and so scores) the curve. */
  readonly root: HTMLDetailsElement;
  private readonly c: CurveParts = buildCurve();
  private readonly events = new AbortController();
  /** The curve drawn (null: none that matches the selection). */
  private curve: CurveData | null = null;
  /** The keyboard / hover cursor: a point index, -1 for none. */
  private cursor = -1;
  private pointsKey = "";
  private n = 0;

  constructor(private readonly handlers: CurveHandlers) {
    const c = this.c;
    this.root = c.details;
    const on = { signal: this.events.signal };
    c.details.addEventListener("toggle", () => handlers.show(c.details.open), on);
    c.ranking.addEventListener("change", () => handlers.ranking(c.ranking.value), on);
    c.mode.addEventListener(
      "change",
      () => handlers.mode(c.mode.value === "insertion" ? "insertion" : "deletion"),
      on,
    );
    c.svg.addEventListener("pointerdown", (e) => this.onPointerDown(e), on);
    c.svg.addEventListener("pointermove", (e) => this.setCursor(this.pointAt(e)), on);
    c.svg.addEventListener("pointerleave", () => this.setCursor(-1), on);
    c.svg.addEventListener("blur", () => this.setCursor(-1), on);
  }

  /** Whether `el` is the plot (keys typed there go to `handleKey`). */
  owns(el: EventTarget | undefined): boolean {
    return el === this.c.svg;
  }

  update(s: Snapshot): void {
    const c = this.c;
    const { showCurve, curveRanking: ranking, curveMode: mode } = s;
    if (c.details.open !== showCurve) c.details.open = showCurve;
    const gradcam = s.classes.length > 0 && s.classes.every((x) => Array.isArray(x.gradcam));
    c.gradcamOption.hidden = !gradcam;
    c.gradcamOption.disabled = !gradcam;
    if (c.ranking.value !== ranking) c.ranking.value = ranking;
    if (c.mode.value !== mode) c.mode.value = mode;
    const n = s.mask.length;
    this.n = n;
    const read = readCurve(s.curve, n);
    // Only the curve of what is selected (class, ranking, mode) is drawn.
    const curve =
      read !== null && read.label === s.selected && read.ranking === ranking && read.mode === mode
        ? read
        : null;
    this.curve = curve;
    const m: CurveMode = mode;
    setText(c.xLabel, axisLabel(m));
    setText(c.caption, curveCaption(curve, s.offline));
    c.svg.setAttribute("data-state", curve?.state ?? "none");
    c.svg.setAttribute(
      "data-area",
      curve?.area === null || curve === null ? "" : String(curve.area),
    );
    c.line.setAttribute("d", curve === null ? "" : curvePath(curve, n));
    this.drawDots(curve, n);
    // The mask on screen: where it lies on the x axis, and the model's score when it is known.
    const x = xOf(maskCount(s.mask, m), n);
    const on = curve === null ? -1 : pointOfMask(curve, s.mask);
    const now = s.scoredRev === s.rev ? scoreOf(s.scores, s.selected) : undefined;
    c.nowLine.setAttribute("x1", x.toFixed(1));
    c.nowLine.setAttribute("x2", x.toFixed(1));
    c.nowLine.classList.toggle("lime-curve-on", on >= 0);
    c.nowDot.setAttribute("visibility", now === undefined || n === 0 ? "hidden" : "visible");
    if (now !== undefined) {
      c.nowDot.setAttribute("cx", x.toFixed(1));
      c.nowDot.setAttribute("cy", yOf(now).toFixed(1));
    }
    c.svg.setAttribute("data-now-point", String(on));
    c.svg.setAttribute(
      "aria-label",
      `${m === "deletion" ? "Deletion" : "Insertion"} curve of ${curve?.labelName ?? "the class"}: ` +
        `${curveCaption(curve, s.offline)}; the mask on screen is ` +
        (on >= 0 ? `point ${on + 1} of the curve` : "not on the curve") +
        (now === undefined ? "" : `, score ${formatProb(now)}`) +
        ". Arrow keys choose a point, Enter applies it.",
    );
    if (this.cursor >= (curve?.counts.length ?? 0)) this.cursor = -1;
    this.drawCursor();
  }

  /** Keys on the focused plot: arrows, Home, End move the cursor; Enter / Space apply its point. */
  handleKey(e: KeyboardEvent): boolean {
    const curve = this.curve;
    if (curve === null || e.ctrlKey || e.metaKey || e.altKey) return false;
    if (e.key === "Enter" || e.key === " ") {
      if (this.cursor >= 0) this.applyPoint(this.cursor);
      else this.setCursor(0);
      return true;
    }
    if (e.key === "Escape") {
      this.setCursor(-1);
      return true;
    }
    const next = cursorKey(e.key, this.cursor, curve.counts.length);
    if (next === null) return false;
    this.setCursor(next);
    return true;
  }

  dispose(): void {
    this.events.abort();
  }

  private drawDots(curve: CurveData | null, n: number): void {
    const key =
      curve === null
        ? ""
        : `${n}|${curve.counts.join(",")}|${curve.scores.join(",")}|${curve.mode}`;
    if (key === this.pointsKey) return;
    this.pointsKey = key;
    const dots: SVGCircleElement[] = [];
    curve?.counts.forEach((count, i) => {
      const score = curve.scores[i];
      if (score === null) return;
      dots.push(
        svg("circle", {
          cx: xOf(count, n).toFixed(1),
          cy: yOf(score).toFixed(1),
          r: curve.counts.length > 60 ? "1.6" : "2.4",
          "data-count": String(count),
          "data-score": String(score),
        }),
      );
    });
    this.c.dots.replaceChildren(...dots);
  }

  private pointAt(e: PointerEvent): number {
    const curve = this.curve;
    if (curve === null) return -1;
    const r = this.c.svg.getBoundingClientRect();
    return nearestPoint(curve.counts, this.n, e.clientX - r.left, r.width, PLOT_BOX);
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || !e.isPrimary) return;
    const i = this.pointAt(e);
    e.preventDefault();
    this.c.svg.focus({ preventScroll: true });
    if (i < 0) return;
    this.cursor = i;
    this.applyPoint(i);
  }

  private applyPoint(i: number): void {
    const curve = this.curve;
    if (curve === null || i < 0 || i >= curve.counts.length) return;
    this.handlers.apply(curveMask(curve.order, curve.counts[i], curve.mode));
    this.drawCursor();
  }

  private setCursor(i: number): void {
    if (i === this.cursor) return;
    this.cursor = i;
    this.drawCursor();
  }

  private drawCursor(): void {
    const curve = this.curve;
    const i = this.cursor;
    const c = this.c;
    if (curve === null || i < 0) {
      c.cursor.setAttribute("visibility", "hidden");
      setText(c.readout, "");
      return;
    }
    const score = curve.scores[i];
    c.cursor.setAttribute("visibility", "visible");
    c.cursor.setAttribute("cx", xOf(curve.counts[i], this.n).toFixed(1));
    c.cursor.setAttribute("cy", yOf(score ?? 0).toFixed(1));
    setText(
      c.readout,
      `${pointText(curve.counts[i], score, curve.mode)} (click or Enter: show this mask)`,
    );
  }
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

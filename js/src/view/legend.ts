/**
 * The heatmap legend (title, colour bar, ticks, what the colours mean), and the heatmap colours it
 * describes, faded where a weight is within noise (recomputed only when the tracked class or K changes).
 */

import { legendGradient } from "../core/colormap";
import { heatmapView } from "../core/heatmap";
import type { ClassInfo, HeatmapMethod } from "../protocol";
import { h, setText } from "./dom";

export class Legend {
  readonly root: HTMLDivElement;
  private readonly title = h("div", { class: "lime-legend-title" });
  private readonly bar = h("div", {
    class: "lime-legend-bar",
    attrs: { role: "img", "aria-label": "colour scale" },
  });
  private readonly tickMin = h("span", { class: "lime-tick" });
  private readonly tickMax = h("span", { class: "lime-tick" });
  /** What the colours mean (LIME: for/against; Grad-CAM: evidence only). */
  private readonly note = h("div", { class: "lime-legend-note", testid: "lime-legend-note" });
  /** Line on the faded (within-noise) superpixels; hidden when the std is unknown. */
  private readonly noise = h("div", { class: "lime-legend-note lime-legend-noise" });
  private info: ClassInfo | undefined;
  private n = -1;
  private method: HeatmapMethod = "lime";
  private colors: Uint8ClampedArray | null = null;

  constructor() {
    this.bar.style.background = legendGradient();
    this.noise.hidden = true;
    this.root = h("div", { class: "lime-legend", testid: "lime-legend" }, [
      this.title,
      this.bar,
      h("div", { class: "lime-legend-ticks" }, [
        this.tickMin,
        h("span", { class: "lime-tick", text: "0" }),
        this.tickMax,
      ]),
      this.note,
      this.noise,
    ]);
  }

  /** Show the legend of class `info` on K = `n` superpixels; returns the heatmap colours. */
  update(
    info: ClassInfo | undefined,
    n: number,
    on: boolean,
    method: HeatmapMethod = "lime",
  ): Uint8ClampedArray | null {
    this.root.classList.toggle("lime-legend-off", !on);
    if (info === this.info && n === this.n && method === this.method) return this.colors;
    const v = heatmapView(info, n, method);
    this.info = info;
    this.n = n;
    this.method = method;
    setText(this.note, v.note);
    this.colors = v.colors;
    setText(this.title, v.title);
    setText(this.tickMin, v.min);
    setText(this.tickMax, v.max);
    this.bar.setAttribute("aria-label", v.barLabel);
    setText(this.noise, v.noise);
    this.noise.hidden = v.noise === "";
    return v.colors;
  }
}

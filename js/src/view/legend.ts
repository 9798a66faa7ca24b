/**
 * The heatmap legend, and the heatmap colours it describes, faded where a weight is within noise
 * (recomputed only when the tracked class or K changes).
 */

import { heatmapView } from "../core/heatmap";
import type { ClassInfo, HeatmapMethod } from "../protocol";
import { setText } from "./dom";
import type { LegendParts } from "./layout";

export class Legend {
  private info: ClassInfo | undefined;
  private n = -1;
  private method: HeatmapMethod = "lime";
  private colors: Uint8ClampedArray | null = null;

  constructor(private readonly parts: LegendParts) {}

  /** Show the legend of class `info` on K = `n` superpixels; returns the heatmap colours. */
  update(
    info: ClassInfo | undefined,
    n: number,
    on: boolean,
    method: HeatmapMethod = "lime",
  ): Uint8ClampedArray | null {
    const p = this.parts;
    p.legend.classList.toggle("lime-legend-off", !on);
    if (info === this.info && n === this.n && method === this.method) return this.colors;
    const v = heatmapView(info, n, method);
    this.info = info;
    this.n = n;
    this.method = method;
    setText(p.note, v.note);
    this.colors = v.colors;
    setText(p.title, v.title);
    setText(p.tickMin, v.min);
    setText(p.tickMax, v.max);
    p.bar.setAttribute("aria-label", v.barLabel);
    setText(p.noise, v.noise);
    p.noise.hidden = v.noise === "";
    return v.colors;
  }
}

/**
 * The superpixel tooltip over the image.
 */

import { tooltipLeft } from "../core/interaction";
import { h, setText } from "./dom";

export class Tooltip {
  /** The tooltip, positioned inside the canvas wrapper. */
  readonly root: HTMLDivElement;

  /** @param area the element whose width the tooltip stays within (the canvas' viewport) */
  constructor(private readonly area: HTMLElement) {
    this.root = h("div", {
      class: "lime-tooltip",
      testid: "lime-tooltip",
      attrs: { role: "tooltip", "aria-hidden": "true" },
    });
    this.root.hidden = true;
  }

  /** Show `text` beside the point (x, y), in CSS pixels relative to the canvas wrapper. */
  show(text: string, x: number, y: number): void {
    const el = this.root;
    setText(el, text);
    el.hidden = false;
    const left = tooltipLeft(x, el.offsetWidth, this.area.clientWidth);
    el.style.left = `${left}px`;
    el.style.top = `${y + 12}px`;
  }

  hide(): void {
    this.root.hidden = true;
  }
}

/**
 * The superpixel tooltip over the image.
 */

import { tooltipLeft } from "../core/interaction";
import { setText } from "./dom";

export class Tooltip {
  /**
   * @param el the tooltip element, positioned inside the canvas wrapper
   * @param area the element whose width the tooltip stays within (the canvas)
   */
  constructor(
    private readonly el: HTMLElement,
    private readonly area: HTMLElement,
  ) {}

  /** Show `text` beside the point (x, y), in CSS pixels relative to the canvas wrapper. */
  show(text: string, x: number, y: number): void {
    setText(this.el, text);
    this.el.hidden = false;
    const left = tooltipLeft(x, this.el.offsetWidth, this.area.clientWidth);
    this.el.style.left = `${left}px`;
    this.el.style.top = `${y + 12}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }
}

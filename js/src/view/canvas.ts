/**
 * The image canvas: decodes the image traits, draws the composed view and turns pointer and
 * keyboard input into superpixel toggles and painted strokes. Zoom and pan: the canvas sits in a
 * viewport that scrolls once zoomed (Ctrl+wheel zooms at the pointer; Shift+drag, a middle-button
 * drag, the wheel or the scrollbars pan; a superpixel focused with the keys is scrolled into view).
 */

import { composePixels } from "../core/compose";
import { displayScale, keyAction } from "../core/interaction";
import type { Mask } from "../core/masks";
import { pointsBetween, Stroke } from "../core/paint";
import {
  boundaryMask,
  decodeSegments,
  type SegmentStats,
  segmentAtPoint,
  segmentStats,
  toUint8Array,
} from "../core/segments";
import { errorMessage, type ImageSource } from "../core/traits";
import { clampZoom, type Scroll, scrollToShow, stepZoom, zoomScroll } from "../core/zoom";
import { h } from "./dom";
import { decodePng } from "./png";
import { Tooltip } from "./tooltip";

interface Loaded {
  width: number;
  height: number;
  image: Uint8ClampedArray;
  hidden: Uint8ClampedArray;
  segments: Uint32Array;
  boundary: Uint8Array;
  stats: SegmentStats;
  imageData: ImageData;
}

export interface CanvasHandlers {
  /** Superpixel `id` was clicked, or toggled with Enter / Space. */
  toggle(id: number): void;
  /** A drag across several superpixels ended: apply `mask` as one change. */
  paint(mask: boolean[]): void;
  /** The mask on screen (where a stroke starts from). */
  mask(): boolean[];
  /** Tooltip text of superpixel `id`. */
  describe(id: number): string;
  /** The highlighted superpixel changed: draw again. */
  redraw(): void;
  /** The zoom factor changed (to show it). */
  zoomed(zoom: number): void;
}

export class ImageCanvas {
  /** The canvas wrapper: the viewport (scrolls once zoomed) holding the canvas, and the tooltip. */
  readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly viewport: HTMLDivElement;
  private readonly tooltip: Tooltip;
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly events = new AbortController();
  private loaded: Loaded | null = null;
  private generation = 0;
  private requestedK = -1;
  private hover = -1;
  private focus = -1;
  /** The drag in progress: its stroke, pointer, first superpixel and last point (canvas pixels). */
  private drag: { stroke: Stroke; pointer: number; start: number; x: number; y: number } | null =
    null;
  /** A pan in progress: its pointer, and where it started (client pixels) and the scroll then. */
  private pan: { pointer: number; x: number; y: number; scroll: Scroll } | null = null;
  private zoomFactor = 1;
  /** The image's size on screen at zoom 1 (CSS pixels), measured when zooming in from 1. */
  private fitted = { width: 0, height: 0 };

  constructor(private readonly handlers: CanvasHandlers) {
    const canvas = h("canvas", {
      class: "lime-canvas",
      testid: "lime-canvas",
      attrs: { role: "img", tabindex: "0", "aria-label": "Image loading" },
    });
    this.canvas = canvas;
    this.viewport = h("div", { class: "lime-viewport", testid: "lime-viewport" }, [canvas]);
    this.tooltip = new Tooltip(this.viewport);
    this.root = h("div", { class: "lime-canvas-wrap" }, [this.viewport, this.tooltip.root]);
    this.ctx = canvas.getContext("2d");
    const on = { signal: this.events.signal };
    canvas.addEventListener("pointerdown", (e) => this.onPointerDown(e), on);
    canvas.addEventListener("wheel", (e) => this.onWheel(e), {
      signal: this.events.signal,
      passive: false,
    });
    canvas.addEventListener("pointerup", (e) => this.onPointerUp(e), on);
    canvas.addEventListener("pointercancel", () => this.cancelDrag(), on);
    canvas.addEventListener("lostpointercapture", () => this.cancelDrag(), on);
    canvas.addEventListener("pointermove", (e) => this.onPointerMove(e), on);
    canvas.addEventListener(
      "pointerleave",
      () => {
        this.setHover(-1);
        this.tooltip.hide();
      },
      on,
    );
    canvas.addEventListener("blur", () => this.focusSegment(-1), on);
  }

  /** Whether `el` is the canvas (keys typed there go to `handleKey`). */
  owns(el: EventTarget | undefined): boolean {
    return el === this.canvas;
  }

  /** K of the latest load (-1 before any). */
  get segmentCount(): number {
    return this.requestedK;
  }

  /** The zoom factor (1 = the image fits the column). */
  get zoom(): number {
    return this.zoomFactor;
  }

  /** Zoom one level in (+1) or out (-1), about the middle of the view. */
  zoomStep(step: 1 | -1): void {
    const v = this.viewport;
    this.setZoom(stepZoom(this.zoomFactor, step), v.clientWidth / 2, v.clientHeight / 2);
  }

  /**
   * Zoom to `zoom` keeping the image point under (px, py) (CSS pixels from the viewport's corner)
   * in place. At 1 the image fits the column again and the viewport no longer scrolls.
   */
  setZoom(zoom: number, px = 0, py = 0): void {
    const to = clampZoom(zoom);
    const from = this.zoomFactor;
    if (to === from || this.loaded === null) return;
    const v = this.viewport;
    if (from === 1) {
      const r = this.canvas.getBoundingClientRect();
      this.fitted = { width: r.width, height: r.height };
    }
    const { width, height } = this.fitted;
    const scroll = zoomScroll({ left: v.scrollLeft, top: v.scrollTop }, from, to, px, py, {
      width,
      height,
      viewW: width,
      viewH: height,
    });
    this.zoomFactor = to;
    const zoomed = to > 1;
    this.root.classList.toggle("lime-zoomed", zoomed);
    v.style.width = zoomed ? `${width}px` : "";
    v.style.height = zoomed ? `${height}px` : "";
    this.canvas.style.width = zoomed ? `${width * to}px` : this.baseWidth();
    v.scrollLeft = zoomed ? scroll.left : 0;
    v.scrollTop = zoomed ? scroll.top : 0;
    this.tooltip.hide();
    this.handlers.zoomed(to);
  }

  /** The canvas' CSS width at zoom 1 (small images are shown upscaled). */
  private baseWidth(): string {
    const w = this.loaded?.width ?? this.canvas.width;
    return `${w * displayScale(w)}px`;
  }

  /**
   * Decode `src` and show it. Resolves to "" once shown (or when nothing was sent yet), to an
   * error message when it cannot be shown, and to null when a newer load or dispose() superseded it.
   */
  async load(src: ImageSource): Promise<string | null> {
    const generation = ++this.generation;
    this.loaded = null;
    this.requestedK = src.nSegments;
    const { width, height } = src;
    try {
      // Nothing sent yet.
      if (src.image === undefined || src.image === null || width <= 0 || height <= 0) return "";
      if (toUint8Array(src.image).byteLength === 0) return "";
      const segments = decodeSegments(src.segments, src.dtype, width, height, src.nSegments);
      const [image, hidden] = await Promise.all([
        decodePng(src.image, width, height, "image_png"),
        decodePng(src.hidden, width, height, "hidden_png"),
      ]);
      if (generation !== this.generation) return null;
      if (this.ctx === null) throw new Error("canvas 2D context is not available");
      this.canvas.width = width;
      this.canvas.height = height;
      this.zoomFactor = 1; // a new image starts fitted
      this.root.classList.remove("lime-zoomed");
      this.viewport.style.width = "";
      this.viewport.style.height = "";
      this.canvas.style.width = `${width * displayScale(width)}px`;
      this.loaded = {
        width,
        height,
        image,
        hidden,
        segments,
        boundary: boundaryMask(segments, width, height),
        stats: segmentStats(segments, width, height, src.nSegments),
        imageData: this.ctx.createImageData(width, height),
      };
      return "";
    } catch (e) {
      if (generation !== this.generation) return null;
      return `Could not display the image: ${errorMessage(e)}`;
    }
  }

  /**
   * Compose and paint the image with `visible` (or the stroke being painted) and an optional
   * per-superpixel heatmap at `opacity` (0..1).
   */
  draw(visible: Mask, heatmap: Uint8ClampedArray | null, opacity: number): void {
    const d = this.loaded;
    if (d === null || this.ctx === null) return;
    composePixels({
      width: d.width,
      height: d.height,
      image: d.image,
      hidden: d.hidden,
      segments: d.segments,
      visible: this.drag?.stroke.preview ?? visible,
      out: d.imageData.data,
      heatmap,
      heatmapAlpha: opacity,
      boundary: d.boundary,
      highlight: this.hover >= 0 ? this.hover : this.focus,
    });
    this.ctx.putImageData(d.imageData, 0, 0);
  }

  /** Set the canvas' accessible name. */
  setLabel(text: string): void {
    this.canvas.setAttribute("aria-label", text);
  }

  /** Forget the keyboard focus when K shrank below it. */
  clampFocus(n: number): void {
    if (this.focus >= n) this.focus = -1;
  }

  dispose(): void {
    this.generation++;
    this.events.abort();
  }

  private segmentAt(e: MouseEvent): number {
    const rect = this.canvas.getBoundingClientRect();
    return this.segmentAtXY(e.clientX - rect.left, e.clientY - rect.top, rect);
  }

  /** The superpixel at (x, y) in CSS pixels from the canvas' top left corner (-1: none). */
  private segmentAtXY(x: number, y: number, rect: DOMRect): number {
    const d = this.loaded;
    if (d === null) return -1;
    return segmentAtPoint(d.segments, d.width, d.height, x, y, rect.width, rect.height);
  }

  /** Show the tooltip of `id` at the pointer of `e`. */
  private tooltipAt(id: number, e: MouseEvent): void {
    const wrap = this.root.getBoundingClientRect();
    this.tooltip.show(this.handlers.describe(id), e.clientX - wrap.left, e.clientY - wrap.top);
  }

  private onWheel(e: WheelEvent): void {
    if (!e.ctrlKey && !e.metaKey) return; // a plain wheel scrolls (the viewport once zoomed, else the page)
    e.preventDefault();
    const v = this.viewport.getBoundingClientRect();
    const step = e.deltaY < 0 ? 1 : -1;
    this.setZoom(stepZoom(this.zoomFactor, step), e.clientX - v.left, e.clientY - v.top);
  }

  /** Start panning with Shift+drag or a middle-button drag (when zoomed). */
  private startPan(e: PointerEvent): boolean {
    const wants = e.button === 1 || (e.button === 0 && e.shiftKey);
    if (!wants || this.zoomFactor <= 1 || this.pan !== null) return false;
    const v = this.viewport;
    this.pan = {
      pointer: e.pointerId,
      x: e.clientX,
      y: e.clientY,
      scroll: { left: v.scrollLeft, top: v.scrollTop },
    };
    this.capture(e.pointerId);
    this.canvas.classList.add("lime-panning");
    e.preventDefault();
    this.canvas.focus({ preventScroll: true });
    return true;
  }

  /** Keep receiving the moves (and the release) when the pointer leaves the canvas mid-drag. */
  private capture(pointer: number): void {
    if (typeof this.canvas.setPointerCapture !== "function") return;
    try {
      this.canvas.setPointerCapture(pointer);
    } catch {
      // no capture (e.g. a synthetic event): the drag still works inside the canvas
    }
  }

  private endPan(): void {
    this.pan = null;
    this.canvas.classList.remove("lime-panning");
  }

  private onPointerDown(e: PointerEvent): void {
    if (this.startPan(e)) return;
    if (e.button !== 0 || !e.isPrimary || this.drag !== null || this.pan !== null) return;
    const id = this.segmentAt(e);
    if (id < 0) return;
    const rect = this.canvas.getBoundingClientRect();
    this.drag = {
      stroke: new Stroke(this.handlers.mask(), id),
      pointer: e.pointerId,
      start: id,
      x: e.clientX - rect.left,
      y: e.clientY - rect.top,
    };
    this.capture(e.pointerId);
    e.preventDefault(); // no text selection or image drag while painting
    // preventDefault also keeps the browser from focusing the canvas: do it, so keys go to the widget
    // (not to the cell editor that had the focus).
    this.canvas.focus({ preventScroll: true });
    this.handlers.redraw();
  }

  private onPointerUp(e: PointerEvent): void {
    if (this.pan !== null && e.pointerId === this.pan.pointer) {
      this.endPan();
      return;
    }
    const drag = this.drag;
    if (drag === null || e.pointerId !== drag.pointer) return;
    this.extendDrag(e);
    this.drag = null;
    // One superpixel: a click. Several: one mask, one probe.
    if (drag.stroke.crossed <= 1) this.handlers.toggle(drag.start);
    else this.handlers.paint(drag.stroke.preview);
    const id = this.segmentAt(e);
    if (id >= 0) this.tooltipAt(id, e);
  }

  private cancelDrag(): void {
    if (this.pan !== null) this.endPan();
    if (this.drag === null) return;
    this.drag = null;
    this.handlers.redraw();
  }

  /** Add the superpixels between the drag's last point and the pointer of `e` to the stroke. */
  private extendDrag(e: PointerEvent): void {
    const drag = this.drag;
    if (drag === null || e.pointerId !== drag.pointer) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    let changed = false;
    for (const [px, py] of pointsBetween(drag.x, drag.y, x, y)) {
      if (drag.stroke.add(this.segmentAtXY(px, py, rect))) changed = true;
    }
    drag.x = x;
    drag.y = y;
    if (changed) this.handlers.redraw();
  }

  private onPointerMove(e: PointerEvent): void {
    const pan = this.pan;
    if (pan !== null && e.pointerId === pan.pointer) {
      this.viewport.scrollLeft = pan.scroll.left - (e.clientX - pan.x);
      this.viewport.scrollTop = pan.scroll.top - (e.clientY - pan.y);
      return;
    }
    this.extendDrag(e);
    const id = this.segmentAt(e);
    this.setHover(id);
    if (id < 0) this.tooltip.hide();
    else this.tooltipAt(id, e);
  }

  private setHover(id: number): void {
    if (id === this.hover) return;
    this.hover = id;
    this.handlers.redraw();
  }

  /**
   * Handle a key typed with the canvas focused: arrows, Enter, Space, Escape. True when it was one
   * of those (the caller then keeps it from the notebook's own shortcuts).
   */
  handleKey(e: KeyboardEvent): boolean {
    if (this.loaded === null || e.ctrlKey || e.metaKey || e.altKey) return false;
    const action = keyAction(e.key, this.focus, this.requestedK);
    if (action === null) return false;
    if (action.toggle >= 0) this.handlers.toggle(action.toggle);
    this.focusSegment(action.focus);
    return true;
  }

  /** Focus superpixel `id` (-1: none) and show its tooltip at its centroid. */
  private focusSegment(id: number): void {
    this.focus = id;
    this.handlers.redraw();
    const d = this.loaded;
    if (d === null || id < 0) {
      this.tooltip.hide();
      return;
    }
    const cx = d.stats.cx[id];
    const cy = d.stats.cy[id];
    if (!Number.isFinite(cx) || !Number.isFinite(cy)) return;
    if (this.zoomFactor > 1) {
      // Zoomed: scroll the focused superpixel into the view first.
      const r = this.canvas.getBoundingClientRect();
      const v = this.viewport;
      const to = scrollToShow(
        { left: v.scrollLeft, top: v.scrollTop },
        (cx * r.width) / d.width,
        (cy * r.height) / d.height,
        v.clientWidth,
        v.clientHeight,
      );
      v.scrollLeft = to.left;
      v.scrollTop = to.top;
    }
    const rect = this.canvas.getBoundingClientRect();
    const wrap = this.root.getBoundingClientRect();
    this.tooltip.show(
      this.handlers.describe(id),
      rect.left - wrap.left + (cx * rect.width) / d.width,
      rect.top - wrap.top + (cy * rect.height) / d.height,
    );
  }
}

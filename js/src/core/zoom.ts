/**
 * Zoom and pan of the image: zoom levels and the scroll offsets that keep the point under the
 * pointer (or the middle of the view) in place. Pure and DOM-free.
 */

/** Zoom factors relative to the fitted size (1 = the image fits the column). */
export const ZOOM_LEVELS: readonly number[] = [1, 1.5, 2, 3, 4, 6, 8];

export const MIN_ZOOM = ZOOM_LEVELS[0];
export const MAX_ZOOM = ZOOM_LEVELS[ZOOM_LEVELS.length - 1];

/** The next zoom level in direction `step` (+1 in, -1 out) from `zoom`, within the levels. */
export function stepZoom(zoom: number, step: 1 | -1): number {
  if (step > 0) return ZOOM_LEVELS.find((z) => z > zoom + 1e-9) ?? MAX_ZOOM;
  for (let i = ZOOM_LEVELS.length - 1; i >= 0; i--) {
    if (ZOOM_LEVELS[i] < zoom - 1e-9) return ZOOM_LEVELS[i];
  }
  return MIN_ZOOM;
}

/** `zoom` clamped to the levels' range (1 for anything not a finite number). */
export function clampZoom(zoom: number): number {
  return Number.isFinite(zoom) ? Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, zoom)) : MIN_ZOOM;
}

/** A scroll position of the viewport, in CSS pixels. */
export interface Scroll {
  left: number;
  top: number;
}

/**
 * The scroll position after zooming from `from` to `to` so that the image point under (`px`, `py`)
 * (CSS pixels from the viewport's top left corner) stays under it; clamped to the scrollable range
 * of an image `width` x `height` (at zoom 1) in a viewport `viewW` x `viewH`.
 */
export function zoomScroll(
  scroll: Scroll,
  from: number,
  to: number,
  px: number,
  py: number,
  size: { width: number; height: number; viewW: number; viewH: number },
): Scroll {
  const f = to / from;
  const left = (scroll.left + px) * f - px;
  const top = (scroll.top + py) * f - py;
  const maxLeft = Math.max(0, size.width * to - size.viewW);
  const maxTop = Math.max(0, size.height * to - size.viewH);
  return {
    left: Math.max(0, Math.min(maxLeft, left)),
    top: Math.max(0, Math.min(maxTop, top)),
  };
}

/**
 * The scroll position that brings the point (x, y) (CSS pixels in the zoomed image) into a
 * viewport `viewW` x `viewH` with a `margin`, moving as little as possible.
 */
export function scrollToShow(
  scroll: Scroll,
  x: number,
  y: number,
  viewW: number,
  viewH: number,
  margin = 24,
): Scroll {
  const axis = (pos: number, pt: number, view: number): number => {
    if (pt - margin < pos) return Math.max(0, pt - margin);
    if (pt + margin > pos + view) return pt + margin - view;
    return pos;
  };
  return { left: axis(scroll.left, x, viewW), top: axis(scroll.top, y, viewH) };
}

/** The label of a zoom factor: "100%", "150%", ... */
export function zoomText(zoom: number): string {
  return `${Math.round(zoom * 100)}%`;
}

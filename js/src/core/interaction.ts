/**
 * Pointer and keyboard logic of the image canvas: keyboard navigation between superpixels,
 * tooltip placement and the display scale. Pure and DOM-free.
 */

/** Images narrower than this are shown upscaled by an integer factor. */
export const MIN_DISPLAY_WIDTH = 384;

/** Integer upscaling factor (at most 4) for an image `width` pixels wide. */
export function displayScale(width: number): number {
  return width >= MIN_DISPLAY_WIDTH ? 1 : Math.min(4, Math.ceil(MIN_DISPLAY_WIDTH / width));
}

export interface KeyResult {
  /** The superpixel focused after the key (-1: none). */
  focus: number;
  /** The superpixel to toggle before focusing (-1: none). */
  toggle: number;
}

/**
 * What `key` does with superpixel `focus` focused (-1: none) out of `n`: arrows move the focus
 * (wrapping), Enter / Space toggle the focused superpixel (or focus the first), Escape leaves.
 * Null for keys the canvas does not handle.
 */
export function keyAction(key: string, focus: number, n: number): KeyResult | null {
  if (n <= 0) return null;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return { focus: focus < 0 ? 0 : (focus + 1) % n, toggle: -1 };
    case "ArrowLeft":
    case "ArrowUp":
      return { focus: focus < 0 ? n - 1 : (focus - 1 + n) % n, toggle: -1 };
    case "Enter":
    case " ":
      return focus < 0 ? { focus: 0, toggle: -1 } : { focus, toggle: focus };
    case "Escape":
      return { focus: -1, toggle: -1 };
    default:
      return null;
  }
}

/**
 * Left edge of a tooltip `tipWidth` wide for a pointer at `x` in an area `areaWidth` wide: beside
 * the pointer, flipped to its left when it would overflow, and clamped to stay inside.
 */
export function tooltipLeft(x: number, tipWidth: number, areaWidth: number): number {
  let left = x + 12;
  if (left + tipWidth > areaWidth) left = x - 12 - tipWidth;
  if (left < 0) left = Math.max(0, areaWidth - tipWidth);
  return left;
}

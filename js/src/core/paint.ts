/**
 * Painting: one drag across the image hides (or shows) every superpixel it crosses, and sends one
 * mask (one probe, one forward pass) when the pointer is released. Pure and DOM-free.
 */

/** One drag gesture over the superpixels. */
export class Stroke {
  /** The visibility this stroke paints: false hides, true shows (the opposite of where it began). */
  readonly paints: boolean;
  private readonly mask: boolean[];
  private readonly seen = new Set<number>();

  /** Begin on superpixel `start` of `base` (not modified). */
  constructor(base: readonly boolean[], start: number) {
    this.mask = [...base];
    this.paints = !(base[start] ?? true);
    this.add(start);
  }

  /** Paint superpixel `id`; true when that changed the preview. Ids outside 0..K-1 are ignored. */
  add(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id >= this.mask.length) return false;
    this.seen.add(id);
    if (this.mask[id] === this.paints) return false;
    this.mask[id] = this.paints;
    return true;
  }

  /** The mask the stroke has painted so far (a copy). */
  get preview(): boolean[] {
    return [...this.mask];
  }

  /** How many distinct superpixels the stroke crossed. */
  get crossed(): number {
    return this.seen.size;
  }
}

/**
 * Points every `step` pixels (at least the end point) on the segment from (x0, y0) to (x1, y1),
 * excluding the start: a fast drag skips no superpixel between two pointer events.
 */
export function pointsBetween(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  step = 2,
): [number, number][] {
  const d = Math.hypot(x1 - x0, y1 - y0);
  const n = Math.max(1, Math.ceil(d / Math.max(step, 0.5)));
  const out: [number, number][] = [];
  for (let i = 1; i <= n; i++) {
    out.push([x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n]);
  }
  return out;
}

/**
 * Immutable operations on the `visible` mask (true = superpixel shown) and an undo/redo stack.
 * Every function returns a new array and never mutates its input. Pure and DOM-free.
 */

export type Mask = readonly boolean[];

/** All superpixels visible. */
export function allVisible(n: number): boolean[] {
  return new Array<boolean>(Math.max(0, Math.floor(n))).fill(true);
}

/** A copy of `mask` with superpixel `id` flipped. Throws a RangeError for a bad id. */
export function toggle(mask: Mask, id: number): boolean[] {
  if (!Number.isInteger(id) || id < 0 || id >= mask.length) {
    throw new RangeError(`superpixel id ${id} out of range 0..${mask.length - 1}`);
  }
  const out = mask.slice();
  out[id] = !out[id];
  return out;
}

/** Everything visible again (same length as `mask`). */
export function reset(mask: Mask): boolean[] {
  return allVisible(mask.length);
}

/** Hidden becomes visible and visible becomes hidden. */
export function invert(mask: Mask): boolean[] {
  return mask.map((v) => !v);
}

/**
 * Ids of the k largest strictly positive weights, largest first. Ties are broken by the lower id;
 * k larger than the number of positive weights gives all of them; k <= 0 gives none.
 */
export function topKPositive(weights: ArrayLike<number>, k: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] > 0) ids.push(i);
  }
  ids.sort((a, b) => weights[b] - weights[a] || a - b);
  const kk = Number.isFinite(k) ? Math.max(0, Math.floor(k)) : 0;
  return ids.slice(0, kk);
}

/** All superpixels visible except the k with the largest positive weights. */
export function hideTopK(weights: ArrayLike<number>, k: number): boolean[] {
  const out = allVisible(weights.length);
  for (const id of topKPositive(weights, k)) out[id] = false;
  return out;
}

/** Only the k superpixels with the largest positive weights visible; the rest hidden. */
export function keepTopK(weights: ArrayLike<number>, k: number): boolean[] {
  const out = new Array<boolean>(weights.length).fill(false);
  for (const id of topKPositive(weights, k)) out[id] = true;
  return out;
}

/** Mask with exactly the given ids hidden (ids out of range are ignored). */
export function maskFromHidden(n: number, hidden: readonly number[]): boolean[] {
  const out = allVisible(n);
  for (const id of hidden) {
    if (Number.isInteger(id) && id >= 0 && id < out.length) out[id] = false;
  }
  return out;
}

/** Ids of the hidden superpixels, ascending. */
export function hiddenIds(mask: Mask): number[] {
  const out: number[] = [];
  mask.forEach((v, i) => {
    if (!v) out.push(i);
  });
  return out;
}

export function masksEqual(a: Mask, b: Mask): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Coerce an untrusted `visible` value to a mask (false = hidden); empty when it is not a list. */
export function normalizeMask(value: unknown): boolean[] {
  return Array.isArray(value) ? value.map((v) => v !== false) : [];
}

/**
 * The k of the top-k actions typed as `text`, clamped to 1..n (n = number of superpixels);
 * `fallback` when the text is not a number.
 */
export function clampK(text: string, n: number, fallback: number): number {
  const raw = Number.parseInt(text, 10);
  return Number.isFinite(raw) ? Math.min(Math.max(1, n), Math.max(1, raw)) : fallback;
}

/**
 * Linear undo/redo history of immutable states. `present` is the current state; push() records a
 * new one and clears the redo branch; the oldest states are dropped beyond `limit` undo steps.
 */
export class UndoStack<T> {
  private past: T[] = [];
  private future: T[] = [];
  private current: T;

  constructor(
    initial: T,
    private readonly limit = 200,
    private readonly equals: (a: T, b: T) => boolean = Object.is,
  ) {
    this.current = initial;
  }

  get present(): T {
    return this.current;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  get undoDepth(): number {
    return this.past.length;
  }

  /** Record a new present state. Returns false (and changes nothing) if it equals the present. */
  push(state: T): boolean {
    if (this.equals(state, this.current)) return false;
    this.past.push(this.current);
    if (this.past.length > this.limit) this.past.splice(0, this.past.length - this.limit);
    this.current = state;
    this.future = [];
    return true;
  }

  /** Step back; returns the new present, or undefined when there is nothing to undo. */
  undo(): T | undefined {
    return this.step(this.past, this.future);
  }

  /** Step forward again; returns the new present, or undefined when there is nothing to redo. */
  redo(): T | undefined {
    return this.step(this.future, this.past);
  }

  /** Make the last state of `from` the present, keeping the present on `to`. */
  private step(from: T[], to: T[]): T | undefined {
    const state = from.pop();
    if (state === undefined) return undefined;
    to.push(this.current);
    this.current = state;
    return state;
  }

  /** Forget all history and start again from `state`. */
  clear(state: T): void {
    this.past = [];
    this.future = [];
    this.current = state;
  }
}

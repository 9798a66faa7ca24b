/**
 * Mask editing against the model: every change of `visible` goes out together with `rev + 1` in one
 * `save_changes()`, and is recorded for undo / redo. No DOM.
 */

import { clampK, masksEqual, normalizeMask, toggle, UndoStack } from "./core/masks";
import { intOr, setTraits } from "./core/traits";
import type { LimeModel } from "./protocol";

/** The part of the model the editor uses. */
export type TraitStore = Pick<LimeModel, "get" | "set" | "save_changes">;

export class MaskEditor {
  readonly undo: UndoStack<boolean[]>;

  /** @param onCommit called after every mask this editor sent */
  constructor(
    private readonly model: TraitStore,
    private readonly onCommit: () => void,
  ) {
    this.undo = new UndoStack(this.mask, 200, masksEqual);
  }

  /** The current `visible`; its length is K. */
  get mask(): boolean[] {
    return normalizeMask(this.model.get("visible"));
  }

  /** Record and send `next`; false (nothing sent) when it is not a change or has the wrong length. */
  apply(next: boolean[]): boolean {
    const current = this.mask;
    if (next.length !== current.length || masksEqual(next, current)) return false;
    this.undo.push(next);
    this.commit(next);
    return true;
  }

  /** Hide or show superpixel `id`; ids outside 0..K-1 are ignored. */
  toggle(id: number): boolean {
    const mask = this.mask;
    return Number.isInteger(id) && id >= 0 && id < mask.length && this.apply(toggle(mask, id));
  }

  undoStep(): void {
    const m = this.undo.undo();
    if (m !== undefined) this.commit(m);
  }

  redoStep(): void {
    const m = this.undo.redo();
    if (m !== undefined) this.commit(m);
  }

  /** A `visible` that came from Python or another view: record it (a new K starts afresh). */
  external(): void {
    const mask = this.mask;
    if (mask.length !== this.undo.present.length) this.undo.clear(mask);
    else this.undo.push(mask);
  }

  /** Set (without saving) `top_k` from the typed `text`, clamped to 1..K; returns k and whether it changed. */
  setK(text: string): { k: number; changed: boolean } {
    const k = clampK(text, this.mask.length, intOr(this.model.get("top_k"), 1));
    const changed = k !== this.model.get("top_k");
    if (changed) setTraits(this.model, { top_k: k }, { send: false });
    return { k, changed };
  }

  /** Set and send `top_k` from the typed `text` (the k input was edited); returns k as clamped. */
  sendK(text: string): number {
    const { k, changed } = this.setK(text);
    if (changed) setTraits(this.model, { top_k: k });
    return k;
  }

  /** Apply a top-k action with the typed k; saves `top_k` together with the mask, or alone. */
  topK(op: (k: number) => boolean[], text: string): number {
    const { k, changed } = this.setK(text);
    if (!this.apply(op(k)) && changed) setTraits(this.model, { top_k: k });
    return k;
  }

  private commit(mask: boolean[]): void {
    setTraits(this.model, { visible: mask, rev: intOr(this.model.get("rev"), 0) + 1 });
    this.onCommit();
  }
}

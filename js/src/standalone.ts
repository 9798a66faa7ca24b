/**
 * The widget without a kernel, for the self-contained HTML files of `LimeWidget.save_html` and
 * `Explanation.to_html`: a local stand-in for the anywidget model, holding the saved traits. Masks
 * still toggle; nothing is sent anywhere, so no model re-scores them (the panel says so and shows
 * the surrogate's prediction). Bundled as an IIFE exposing `limeWidgetStandalone.mount`.
 */

import { render } from "./index";
import type { LimeTraits } from "./protocol";

type Listener = () => void;

/** Decode the saved state: `{"$bytes": base64}` becomes a DataView, as the comm delivers bytes. */
export function decodeState(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (
      typeof value === "object" &&
      value !== null &&
      typeof (value as { $bytes?: unknown }).$bytes === "string"
    ) {
      const bin = atob((value as { $bytes: string }).$bytes);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      out[name] = new DataView(bytes.buffer);
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** A mask whose model scores the file holds: the one on screen when it was saved, and the original. */
interface KnownScores {
  mask: boolean[];
  scores: unknown;
  surrogate: unknown;
}

const sameMask = (a: unknown, b: readonly boolean[]): boolean =>
  Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The parts of an anywidget model the view uses, over a plain object. Instead of a kernel it answers
 * a new mask itself when it holds that mask's model scores (the saved one, or all shown); any other
 * mask stays unscored, and the panel says there is no model.
 */
export class LocalModel {
  private readonly values: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly known: KnownScores[] = [];

  constructor(state: Record<string, unknown>) {
    this.values = { ...state, offline: true };
    const visible = state.visible;
    if (Array.isArray(visible) && state.scored_rev === state.rev) {
      this.known.push({ mask: [...visible], scores: state.scores, surrogate: state.surrogate });
    }
    if (Array.isArray(visible)) {
      // All shown: the original scores (the view computes the surrogate from the weights itself).
      this.known.push({
        mask: visible.map(() => true),
        scores: state.original_scores,
        surrogate: [],
      });
    }
  }

  get<K extends keyof LimeTraits>(name: K): LimeTraits[K] {
    return this.values[name] as LimeTraits[K];
  }

  set<K extends keyof LimeTraits>(name: K, value: LimeTraits[K]): void {
    if (this.values[name] === value) return;
    this.values[name] = value;
    for (const cb of [...(this.listeners.get(`change:${name}`) ?? [])]) cb();
  }

  on(event: string, cb: Listener): void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(cb);
  }

  off(event?: string | null, cb?: Listener | null): void {
    if (event == null) this.listeners.clear();
    else if (cb == null) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(cb);
  }

  /** Custom messages go nowhere: there is no kernel (the view disables what would need one). */
  send(_content: unknown): void {}

  /** Nothing to send to (there is no kernel); a mask whose scores the file holds is scored from them. */
  save_changes(): void {
    const hit = this.known.find((k) => sameMask(this.values.visible, k.mask));
    if (hit === undefined || this.values.scored_rev === this.values.rev) return;
    this.set("scores", hit.scores as LimeTraits["scores"]);
    this.set("surrogate", hit.surrogate as LimeTraits["surrogate"]);
    this.set("scored_rev", this.values.rev as number);
  }
}

/** Show the saved widget state `state` in `el`; returns the cleanup. */
export function mount(el: HTMLElement, state: Record<string, unknown>): () => void {
  const model = new LocalModel(decodeState(state));
  return render({ model: model as unknown as Parameters<typeof render>[0]["model"], el });
}

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

/** The parts of an anywidget model the view uses, over a plain object. */
export class LocalModel {
  private readonly values: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(state: Record<string, unknown>) {
    this.values = { ...state, offline: true };
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

  /** Nothing to send to: there is no kernel. */
  save_changes(): void {}
}

/** Show the saved widget state `state` in `el`; returns the cleanup. */
export function mount(el: HTMLElement, state: Record<string, unknown>): () => void {
  const model = new LocalModel(decodeState(state));
  return render({ model: model as unknown as Parameters<typeof render>[0]["model"], el });
}

/**
 * anywidget front end of the audit gallery (`lime_widget.gallery.GalleryGrid`). `render` wires
 * the view (./view) to the model events and returns the cleanup; the logic lives in ./order.
 *
 * Traits: `items` and `columns` come from Python; `sort_by`, `descending`, `filter` and
 * `selected` are written here (and may be set by Python too).
 */

import type { RenderProps } from "@anywidget/types";
import { setTraits } from "../core/traits";
import { type Filter, readState } from "./order";
import { GalleryView } from "./view";

/** The synced traits, as they travel (values are untrusted and read through ./order). */
export interface GalleryTraits {
  items: unknown[];
  columns: string[];
  sort_by: string;
  descending: boolean;
  filter: Filter;
  selected: number;
}

const TRAITS = ["items", "columns", "sort_by", "descending", "filter", "selected"] as const;

function render({ model, el }: Pick<RenderProps<GalleryTraits>, "model" | "el">): () => void {
  const write = <K extends keyof GalleryTraits>(name: K, value: GalleryTraits[K]): void => {
    if (model.get(name) !== value) setTraits<GalleryTraits>(model, { [name]: value });
  };
  const view = new GalleryView({
    sort: (column) => write("sort_by", column),
    order: (descending) => write("descending", descending),
    filter: (filter) => write("filter", filter),
    select: (row) => write("selected", row),
  });
  el.appendChild(view.root);

  // Several traits set at once (one hold_sync) render once, in a microtask.
  let queued = false;
  let rebuild = true;
  let disposed = false;
  const flush = (): void => {
    queued = false;
    if (disposed) return;
    const state = readState((name) => model.get(name as keyof GalleryTraits));
    view.update(state, rebuild);
    rebuild = false;
  };
  const schedule = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(flush);
  };
  const onItems = (): void => {
    rebuild = true;
    schedule();
  };

  const listeners: [string, () => void][] = TRAITS.map((name) => [
    `change:${name}`,
    name === "items" ? onItems : schedule,
  ]);
  for (const [event, cb] of listeners) model.on(event, cb);
  flush();

  return () => {
    disposed = true;
    for (const [event, cb] of listeners) model.off(event as `change:${keyof GalleryTraits}`, cb);
    view.dispose();
  };
}

export { render };
export default { render };

/**
 * The probe history (built and updated here): one item per probe, latest first, each with a
 * "restore" button.
 */

import { historyItems } from "../core/panel";
import type { Snapshot } from "../core/traits";
import { button, h } from "./dom";

export class HistoryList {
  /** The section: its title and the list. */
  readonly root: HTMLElement;
  private readonly list = h("ol", { class: "lime-history", testid: "lime-history" });
  private readonly events = new AbortController();
  /** Hidden ids behind each "restore" button (one delegated listener on the list). */
  private restoreMasks = new WeakMap<Element, number[]>();

  /** @param onRestore called with the hidden ids of the probe whose "restore" was clicked */
  constructor(onRestore: (hidden: number[]) => void) {
    this.root = h("section", { class: "lime-history-section" }, [
      h("h4", { class: "lime-subtitle", text: "Probes (latest first)" }),
      this.list,
    ]);
    this.list.addEventListener(
      "click",
      (e) => {
        const target = e.target instanceof Element ? e.target.closest("button.lime-restore") : null;
        const hidden = target === null ? undefined : this.restoreMasks.get(target);
        if (hidden !== undefined) onRestore(hidden);
      },
      { signal: this.events.signal },
    );
  }

  update(s: Snapshot): void {
    this.restoreMasks = new WeakMap();
    const items = historyItems(s).map((p) => {
      const restore = button("restore", undefined, `Restore the mask of probe rev ${p.rev}`);
      restore.classList.add("lime-restore");
      this.restoreMasks.set(restore, p.hidden);
      return h(
        "li",
        {
          class: p.current ? "lime-probe lime-probe-current" : "lime-probe",
          attrs: { "data-rev": String(p.rev) },
        },
        [h("span", { class: "lime-probe-text", text: p.text }), restore],
      );
    });
    if (items.length === 0) {
      items.push(
        h("li", { class: "lime-empty", text: "No probes yet: click a superpixel to hide it." }),
      );
    }
    this.list.replaceChildren(...items);
  }

  dispose(): void {
    this.events.abort();
  }
}

/**
 * The gallery's DOM: a toolbar (sort column, order, filter, count) above a responsive grid of
 * focusable thumbnails. It renders a `GalleryState` and reports the user's choices through
 * `GalleryHandlers`; it never touches the model. Text only goes in through textContent.
 */

import { h, setText } from "../view/dom";
import {
  columnLabel,
  countText,
  effectiveSort,
  emptyText,
  FILTER_LABELS,
  FILTERS,
  type Filter,
  type GalleryItem,
  type GalleryState,
  itemLabel,
  moveFocus,
  orderText,
  readFilter,
  sortCaption,
  sortValue,
  visibleItems,
} from "./order";

export interface GalleryHandlers {
  sort: (column: string) => void;
  order: (descending: boolean) => void;
  filter: (filter: Filter) => void;
  select: (row: number) => void;
}

/** The DOM of one item, built once per `items` value. */
interface Tile {
  item: GalleryItem;
  el: HTMLElement;
  value: HTMLElement;
}

const ITEM_SELECTOR = '[data-testid="gallery-item"]';

export class GalleryView {
  readonly root: HTMLElement;
  private readonly sortSelect: HTMLSelectElement;
  private readonly orderButton: HTMLButtonElement;
  private readonly filterSelect: HTMLSelectElement;
  private readonly count: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly events = new AbortController();
  private tiles = new Map<number, Tile>();
  private columnsKey = "\u0000";
  private state: GalleryState | null = null;
  /** Rows in the order shown (for the keyboard). */
  private shownRows: number[] = [];

  constructor(private readonly handlers: GalleryHandlers) {
    this.sortSelect = h("select", {
      class: "lime-gallery-select",
      testid: "gallery-sort",
      attrs: { "aria-label": "sort by" },
    });
    this.orderButton = h("button", {
      class: "lime-gallery-button",
      testid: "gallery-order",
      attrs: { type: "button", title: "toggle ascending / descending" },
    });
    this.filterSelect = h(
      "select",
      { class: "lime-gallery-select", testid: "gallery-filter", attrs: { "aria-label": "show" } },
      FILTERS.map((f) => h("option", { text: FILTER_LABELS[f], attrs: { value: f } })),
    );
    this.count = h("span", {
      class: "lime-gallery-count",
      testid: "gallery-count",
      attrs: { role: "status", "aria-live": "polite" },
    });
    const toolbar = h("div", { class: "lime-gallery-toolbar" }, [
      h("label", { class: "lime-gallery-field" }, [
        h("span", { text: "sort by", attrs: { "aria-hidden": "true" } }),
        this.sortSelect,
      ]),
      this.orderButton,
      h("label", { class: "lime-gallery-field" }, [
        h("span", { text: "show", attrs: { "aria-hidden": "true" } }),
        this.filterSelect,
      ]),
      this.count,
    ]);
    this.grid = h("div", {
      class: "lime-gallery-grid",
      testid: "gallery-grid",
      attrs: { role: "group", "aria-label": "audited images" },
    });
    this.empty = h("div", { class: "lime-gallery-empty", testid: "gallery-empty" });
    this.empty.hidden = true;
    this.root = h("div", { class: "lime-gallery" }, [toolbar, this.grid, this.empty]);

    const signal = this.events.signal;
    this.sortSelect.addEventListener(
      "change",
      () => {
        if (this.sortSelect.value !== "") this.handlers.sort(this.sortSelect.value);
      },
      { signal },
    );
    this.orderButton.addEventListener(
      "click",
      () => this.handlers.order(!(this.state?.descending ?? false)),
      { signal },
    );
    this.filterSelect.addEventListener(
      "change",
      () => this.handlers.filter(readFilter(this.filterSelect.value)),
      { signal },
    );
    this.grid.addEventListener(
      "click",
      (e) => {
        const row = this.rowOf(e.target);
        if (row !== null) this.handlers.select(row);
      },
      { signal },
    );
    this.grid.addEventListener("keydown", (e) => this.onKey(e), { signal });
    // A thumbnail that does not decode shows as an error box (error events do not bubble).
    this.grid.addEventListener(
      "error",
      (e) => {
        const img = e.target;
        if (img instanceof HTMLImageElement) {
          img.replaceWith(
            h("div", { class: "lime-gallery-noimage", text: "image could not be shown" }),
          );
        }
      },
      { signal, capture: true },
    );
  }

  /** Render `state`; `rebuild`: the items changed, so their tiles are built again. */
  update(state: GalleryState, rebuild: boolean): void {
    this.state = state;
    if (rebuild || this.tiles.size === 0) this.buildTiles(state.items);
    this.updateToolbar(state);

    const column = effectiveSort(state);
    const shown = visibleItems(state);
    this.shownRows = shown.map((item) => item.row);
    const focusedRow = this.rowOf(this.activeElement());

    const elements: HTMLElement[] = [];
    for (const item of shown) {
      const tile = this.tiles.get(item.row);
      if (tile === undefined) continue;
      const selected = item.row === state.selected;
      tile.el.classList.toggle("is-selected", selected);
      tile.el.setAttribute("aria-pressed", String(selected));
      tile.el.setAttribute("aria-label", itemLabel(item, column));
      const value = sortValue(item, column);
      setText(tile.value, sortCaption(column, value));
      tile.value.setAttribute("data-value", value === null ? "" : String(value));
      elements.push(tile.el);
    }
    const current = this.grid.children;
    const same = current.length === elements.length && elements.every((el, i) => current[i] === el);
    if (!same) this.grid.replaceChildren(...elements);

    this.count.setAttribute("data-shown", String(shown.length));
    this.count.setAttribute("data-total", String(state.items.length));
    setText(this.count, countText(shown.length, state.items.length));
    this.empty.hidden = shown.length > 0;
    setText(this.empty, shown.length > 0 ? "" : emptyText(state.items.length, state.filter));

    // Moving the focused tile blurs it: give the focus back.
    if (!same && focusedRow !== null) {
      const tile = this.tiles.get(focusedRow);
      if (tile?.el.isConnected) tile.el.focus({ preventScroll: true });
    }
  }

  dispose(): void {
    this.events.abort();
    this.tiles.clear();
    this.root.remove();
  }

  private buildTiles(items: readonly GalleryItem[]): void {
    this.tiles = new Map(items.map((item) => [item.row, buildTile(item)]));
  }

  private updateToolbar(state: GalleryState): void {
    const key = state.columns.join("\u0000");
    if (key !== this.columnsKey) {
      this.columnsKey = key;
      this.sortSelect.replaceChildren(
        ...state.columns.map((c) => h("option", { text: columnLabel(c), attrs: { value: c } })),
      );
    }
    const column = effectiveSort(state);
    if (column === "") this.sortSelect.selectedIndex = -1;
    else if (this.sortSelect.value !== column) this.sortSelect.value = column;
    this.sortSelect.disabled = state.columns.length === 0;
    setText(this.orderButton, orderText(state.descending));
    this.orderButton.setAttribute("aria-pressed", String(state.descending));
    this.orderButton.setAttribute(
      "aria-label",
      state.descending
        ? "descending order (switch to ascending)"
        : "ascending order (switch to descending)",
    );
    if (this.filterSelect.value !== state.filter) this.filterSelect.value = state.filter;
  }

  private activeElement(): Element | null {
    const root = this.root.getRootNode();
    return root instanceof Document || root instanceof ShadowRoot ? root.activeElement : null;
  }

  /** The row of the tile `target` is in, or null. */
  private rowOf(target: EventTarget | null): number | null {
    if (!(target instanceof Element)) return null;
    const el = target.closest(ITEM_SELECTOR);
    if (el === null || !this.grid.contains(el)) return null;
    const row = Number(el.getAttribute("data-row"));
    return Number.isInteger(row) ? row : null;
  }

  private onKey(e: KeyboardEvent): void {
    const row = this.rowOf(e.target);
    if (row === null || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.handlers.select(row);
      return;
    }
    const perRow = this.perRow();
    const step: Record<string, number | "first" | "last"> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -perRow,
      ArrowDown: perRow,
      Home: "first",
      End: "last",
    };
    const move = step[e.key];
    if (move === undefined) return;
    e.preventDefault();
    const next = this.tiles.get(moveFocus(this.shownRows, row, move));
    next?.el.focus();
  }

  /** How many tiles one grid row holds (for ArrowUp / ArrowDown). */
  private perRow(): number {
    const columns = getComputedStyle(this.grid).gridTemplateColumns.split(" ").filter(Boolean);
    return Math.max(1, columns.length);
  }
}

function buildTile(item: GalleryItem): Tile {
  let picture: HTMLElement;
  if (item.error !== "") {
    picture = h("div", { class: "lime-gallery-error", testid: "gallery-error", text: item.error });
  } else if (item.thumb !== "") {
    picture = h("img", {
      class: "lime-gallery-img",
      attrs: { src: item.thumb, alt: "", loading: "lazy", decoding: "async", draggable: "false" },
    });
  } else {
    picture = h("div", { class: "lime-gallery-noimage", text: "no thumbnail" });
  }
  const value = h("div", { class: "lime-gallery-value" });
  const caption = h("div", { class: "lime-gallery-caption" }, [
    h("div", { class: "lime-gallery-title", text: item.title, attrs: { title: item.title } }),
    h("div", { class: "lime-gallery-subtitle", text: item.subtitle }),
    value,
  ]);
  const classes = ["lime-gallery-item"];
  if (item.correct === false) classes.push("is-wrong");
  if (item.error !== "") classes.push("is-error");
  const el = h(
    "div",
    {
      class: classes.join(" "),
      testid: "gallery-item",
      attrs: {
        role: "button",
        tabindex: "0",
        "data-row": String(item.row),
        "aria-pressed": "false",
      },
    },
    [h("div", { class: "lime-gallery-thumb" }, [picture]), caption],
  );
  return { item, el, value };
}

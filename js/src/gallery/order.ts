/**
 * The audit gallery's pure logic: reading the synced traits (untrusted values from the wire,
 * coerced to safe defaults), filtering, sorting and the texts of the captions and the count.
 * DOM-free. Protocol: the `GalleryGrid` traits of lime_widget/gallery.py.
 */

/** One audited image, as Python sends it in `items`. */
export interface GalleryItem {
  /** Position of the image's row in the audit table (what `selected` names). */
  row: number;
  /** File name or "#index". */
  title: string;
  /** Preformatted by Python, e.g. "Egyptian cat 0.93 ✓". */
  subtitle: string;
  /** A data:image/... URL of the thumbnail with its heatmap; "" when there is none. */
  thumb: string;
  /** Whether the prediction matches the true label; null when there is no true label. */
  correct: boolean | null;
  /** Why the image could not be explained; "" when fine. */
  error: string;
  /** The numeric columns (null = missing). */
  values: Record<string, number | null>;
}

export const FILTERS = ["all", "wrong", "errors", "correct"] as const;
export type Filter = (typeof FILTERS)[number];

/** Menu texts of the filters. */
export const FILTER_LABELS: Record<Filter, string> = {
  all: "all images",
  wrong: "wrong only",
  errors: "errors only",
  correct: "correct only",
};

/** What the grid shows, read from the traits at one moment. */
export interface GalleryState {
  items: GalleryItem[];
  columns: string[];
  sortBy: string;
  descending: boolean;
  filter: Filter;
  selected: number;
}

/** Reads one trait (e.g. `(name) => model.get(name)`). */
export type Reader = (name: string) => unknown;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A finite number, else null (NaN, ±Infinity, strings, booleans... are missing values). */
export const finiteOrNull = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? v : null;

/** Only inline images are shown: anything but a `data:image/...` URL reads as "no thumbnail". */
export function safeThumb(v: unknown): string {
  return typeof v === "string" && /^data:image\/[a-z0-9.+-]+[;,]/i.test(v) ? v : "";
}

/** One entry of `items`, or null when it has no usable integer `row`. */
export function readItem(v: unknown): GalleryItem | null {
  if (!isRecord(v)) return null;
  const row = v.row;
  if (typeof row !== "number" || !Number.isInteger(row) || row < 0) return null;
  const values: Record<string, number | null> = {};
  if (isRecord(v.values)) {
    for (const [key, value] of Object.entries(v.values)) values[key] = finiteOrNull(value);
  }
  return {
    row,
    title: typeof v.title === "string" && v.title !== "" ? v.title : `#${row}`,
    subtitle: typeof v.subtitle === "string" ? v.subtitle : "",
    thumb: safeThumb(v.thumb),
    correct: typeof v.correct === "boolean" ? v.correct : null,
    error: typeof v.error === "string" ? v.error : "",
    values,
  };
}

/** `items`: the usable entries, the first of each row (rows name items, so they must be unique). */
export function readItems(v: unknown): GalleryItem[] {
  if (!Array.isArray(v)) return [];
  const seen = new Set<number>();
  const out: GalleryItem[] = [];
  for (const entry of v) {
    const item = readItem(entry);
    if (item === null || seen.has(item.row)) continue;
    seen.add(item.row);
    out.push(item);
  }
  return out;
}

/** `columns`: the distinct non-empty strings, in order. */
export function readColumns(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return [...new Set(v.filter((c): c is string => typeof c === "string" && c !== ""))];
}

export const readFilter = (v: unknown): Filter =>
  typeof v === "string" && (FILTERS as readonly string[]).includes(v) ? (v as Filter) : "all";

export const readSelected = (v: unknown): number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : -1;

export function readState(get: Reader): GalleryState {
  return {
    items: readItems(get("items")),
    columns: readColumns(get("columns")),
    sortBy: typeof get("sort_by") === "string" ? (get("sort_by") as string) : "",
    descending: get("descending") === true,
    filter: readFilter(get("filter")),
    selected: readSelected(get("selected")),
  };
}

/** Whether `item` passes `filter` (wrong: correct is false; errors: has an error; correct: true). */
export function matches(item: GalleryItem, filter: Filter): boolean {
  switch (filter) {
    case "wrong":
      return item.correct === false;
    case "errors":
      return item.error !== "";
    case "correct":
      return item.correct === true;
    default:
      return true;
  }
}

export const filterItems = (items: readonly GalleryItem[], filter: Filter): GalleryItem[] =>
  items.filter((item) => matches(item, filter));

/** The value `item` is sorted by: a finite number, or null (missing). */
export const sortValue = (item: GalleryItem, column: string): number | null =>
  finiteOrNull(item.values[column]);

/**
 * A new array sorted by `values[column]`, ascending or descending; missing values (null, NaN)
 * always last, whatever the order; ties (and the missing ones) by row ascending. An empty
 * `column` sorts by row.
 */
export function sortItems(
  items: readonly GalleryItem[],
  column: string,
  descending: boolean,
): GalleryItem[] {
  const keyed = items.map((item) => ({
    item,
    value: column === "" ? null : sortValue(item, column),
  }));
  keyed.sort((a, b) => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return descending ? b.value - a.value : a.value - b.value;
    }
    return a.item.row - b.item.row;
  });
  return keyed.map((k) => k.item);
}

/** The column actually sorted by: `sortBy` when it is one of `columns`, else "" (row order). */
export const effectiveSort = (s: Pick<GalleryState, "sortBy" | "columns">): string =>
  s.columns.includes(s.sortBy) ? s.sortBy : "";

/** The items the grid shows, in the order it shows them. */
export const visibleItems = (s: GalleryState): GalleryItem[] =>
  sortItems(filterItems(s.items, s.filter), effectiveSort(s), s.descending);

/** "3 of 10 shown". */
export const countText = (shown: number, total: number): string => `${shown} of ${total} shown`;

/** Menu text of a column: "object_share" -> "object share". */
export const columnLabel = (column: string): string => column.replace(/_/g, " ");

/** Fixed decimals, never "-0.00". */
function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
}

const INTEGER_COLUMNS = new Set(["index", "flip_k", "n_segments", "row"]);
const SHARE_COLUMNS = new Set(["probability", "stability", "object_share", "deletion_auc"]);

/**
 * A sort value as the caption shows it: shares / scores with 3 decimals ("0.932"), counts as
 * integers ("4"), seconds with a unit ("1.25 s"), pointing_hit as yes/no; "—" when missing.
 * Other columns: integers as such, else up to 3 decimals.
 */
export function formatValue(column: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (column === "pointing_hit") return value ? "yes" : "no";
  if (INTEGER_COLUMNS.has(column)) return String(Math.round(value));
  if (SHARE_COLUMNS.has(column)) return fixed(value, 3);
  if (column === "seconds") return `${fixed(value, Math.abs(value) < 10 ? 2 : 1)} s`;
  if (Number.isInteger(value)) return String(value);
  return String(Number(fixed(value, 3)));
}

/** The caption's sort line, "probability 0.932"; "" when not sorting by a column. */
export const sortCaption = (column: string, value: number | null): string =>
  column === "" ? "" : `${columnLabel(column)} ${formatValue(column, value)}`;

/** What a screen reader says for an item: "img3.png, Egyptian cat 0.93 ✓, probability 0.932". */
export function itemLabel(item: GalleryItem, column: string): string {
  const parts = [item.title];
  if (item.error !== "") parts.push(`error: ${item.error}`);
  else if (item.subtitle !== "") parts.push(item.subtitle);
  const sort = sortCaption(column, sortValue(item, column));
  if (sort !== "") parts.push(sort);
  return parts.join(", ");
}

/** Text of the order toggle (names the current order). */
export const orderText = (descending: boolean): string =>
  descending ? "↓ descending" : "↑ ascending";

/** What the grid says when nothing is shown. */
export function emptyText(total: number, filter: Filter): string {
  if (total === 0) return "no images";
  return `no images match “${FILTER_LABELS[filter]}”`;
}

/**
 * The row keyboard navigation moves to from `row` within the shown `rows`: by `step` (±1, or
 * ±columns for up/down), "first" / "last"; clamped at the ends. -1 when `rows` is empty.
 */
export function moveFocus(
  rows: readonly number[],
  row: number,
  step: number | "first" | "last",
): number {
  if (rows.length === 0) return -1;
  if (step === "first") return rows[0]!;
  if (step === "last") return rows[rows.length - 1]!;
  const at = rows.indexOf(row);
  if (at < 0) return rows[0]!;
  return rows[Math.min(rows.length - 1, Math.max(0, at + step))]!;
}

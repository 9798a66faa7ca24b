import { describe, expect, it } from "vitest";
import {
  columnLabel,
  countText,
  effectiveSort,
  emptyText,
  filterItems,
  formatValue,
  type GalleryItem,
  type GalleryState,
  itemLabel,
  matches,
  moveFocus,
  orderText,
  readColumns,
  readFilter,
  readItem,
  readItems,
  readSelected,
  readState,
  safeThumb,
  sortCaption,
  sortItems,
  visibleItems,
} from "../../src/gallery/order";

const PNG = "data:image/png;base64,iVBORw0KGgo=";

function item(
  row: number,
  values: Record<string, number | null>,
  extra: Partial<GalleryItem> = {},
): GalleryItem {
  return {
    row,
    title: `img${row}.png`,
    subtitle: "",
    thumb: PNG,
    correct: null,
    error: "",
    values,
    ...extra,
  };
}

const rows = (items: readonly GalleryItem[]): number[] => items.map((i) => i.row);

describe("sorting", () => {
  const items = [
    item(0, { probability: 0.5 }),
    item(1, { probability: 0.9 }),
    item(2, { probability: 0.1 }),
    item(3, { probability: 0.7 }),
  ];

  it("ascending and descending by a column", () => {
    expect(rows(sortItems(items, "probability", false))).toEqual([2, 0, 3, 1]);
    expect(rows(sortItems(items, "probability", true))).toEqual([1, 3, 0, 2]);
  });

  it("does not change its input", () => {
    const copy = [...items];
    sortItems(items, "probability", true);
    expect(items).toEqual(copy);
  });

  it("missing values (null, NaN, absent, non-numbers) go last in both orders, by row", () => {
    const mixed = [
      item(0, { flip_k: null }),
      item(1, { flip_k: 3 }),
      item(2, { flip_k: Number.NaN }),
      item(3, {}),
      item(4, { flip_k: 1 }),
      item(5, { flip_k: Number.POSITIVE_INFINITY }),
      item(6, { flip_k: "2" as unknown as number }),
    ];
    expect(rows(sortItems(mixed, "flip_k", false))).toEqual([4, 1, 0, 2, 3, 5, 6]);
    expect(rows(sortItems(mixed, "flip_k", true))).toEqual([1, 4, 0, 2, 3, 5, 6]);
  });

  it("ties by row ascending, whatever the order and the input order", () => {
    const tied = [
      item(5, { stability: 0.8 }),
      item(2, { stability: 0.8 }),
      item(9, { stability: 0.2 }),
      item(0, { stability: 0.8 }),
    ];
    expect(rows(sortItems(tied, "stability", false))).toEqual([9, 0, 2, 5]);
    expect(rows(sortItems(tied, "stability", true))).toEqual([0, 2, 5, 9]);
  });

  it("negative values and zero sort numerically (not as text)", () => {
    const signed = [item(0, { x: 10 }), item(1, { x: -2 }), item(2, { x: 0 }), item(3, { x: 9 })];
    expect(rows(sortItems(signed, "x", false))).toEqual([1, 2, 3, 0]);
  });

  it("an empty column sorts by row", () => {
    const shuffled = [item(3, {}), item(1, {}), item(2, {})];
    expect(rows(sortItems(shuffled, "", true))).toEqual([1, 2, 3]);
  });

  it("the effective column must be one of columns", () => {
    expect(effectiveSort({ sortBy: "probability", columns: ["probability"] })).toBe("probability");
    expect(effectiveSort({ sortBy: "nope", columns: ["probability"] })).toBe("");
  });
});

describe("filtering", () => {
  const items = [
    item(0, {}, { correct: true }),
    item(1, {}, { correct: false }),
    item(2, {}, { correct: null }),
    item(3, {}, { correct: null, error: "OSError: cannot read" }),
    item(4, {}, { correct: false }),
  ];

  it("all / wrong / errors / correct", () => {
    expect(rows(filterItems(items, "all"))).toEqual([0, 1, 2, 3, 4]);
    expect(rows(filterItems(items, "wrong"))).toEqual([1, 4]);
    expect(rows(filterItems(items, "errors"))).toEqual([3]);
    expect(rows(filterItems(items, "correct"))).toEqual([0]);
  });

  it("no true label is neither wrong nor correct", () => {
    expect(matches(items[2]!, "wrong")).toBe(false);
    expect(matches(items[2]!, "correct")).toBe(false);
  });

  it("visibleItems filters, then sorts", () => {
    const state: GalleryState = {
      items: [
        item(0, { probability: 0.2 }, { correct: false }),
        item(1, { probability: 0.9 }, { correct: true }),
        item(2, { probability: 0.6 }, { correct: false }),
        item(3, { probability: null }, { correct: false }),
      ],
      columns: ["probability"],
      sortBy: "probability",
      descending: true,
      filter: "wrong",
      selected: -1,
    };
    expect(rows(visibleItems(state))).toEqual([2, 0, 3]);
    expect(rows(visibleItems({ ...state, filter: "all", descending: false }))).toEqual([
      0, 2, 1, 3,
    ]);
    expect(rows(visibleItems({ ...state, sortBy: "unknown" }))).toEqual([0, 2, 3]);
  });
});

describe("reading the traits", () => {
  it("an item: coerced fields and safe defaults", () => {
    expect(
      readItem({
        row: 4,
        title: "a.png",
        subtitle: "Egyptian cat 0.93 ✓",
        thumb: PNG,
        correct: true,
        error: "",
        values: { probability: 0.93, flip_k: null, bad: "x", inf: Number.NaN },
      }),
    ).toEqual({
      row: 4,
      title: "a.png",
      subtitle: "Egyptian cat 0.93 ✓",
      thumb: PNG,
      correct: true,
      error: "",
      values: { probability: 0.93, flip_k: null, bad: null, inf: null },
    });
    expect(readItem({ row: 2 })).toEqual({
      row: 2,
      title: "#2",
      subtitle: "",
      thumb: "",
      correct: null,
      error: "",
      values: {},
    });
  });

  it("items without a usable row are dropped, as are repeated rows", () => {
    const items = readItems([
      { row: 1 },
      { row: -1 },
      { row: 1.5 },
      { row: "2" },
      null,
      [],
      { row: 1, title: "again" },
      { row: 0 },
    ]);
    expect(rows(items)).toEqual([1, 0]);
    expect(items[0]!.title).toBe("#1");
    expect(readItems("nope")).toEqual([]);
  });

  it("thumbnails: only inline images", () => {
    expect(safeThumb(PNG)).toBe(PNG);
    expect(safeThumb("data:image/jpeg;base64,AAAA")).toBe("data:image/jpeg;base64,AAAA");
    expect(safeThumb("javascript:alert(1)")).toBe("");
    expect(safeThumb("https://example.com/a.png")).toBe("");
    expect(safeThumb("data:text/html;base64,AAAA")).toBe("");
    expect(safeThumb(null)).toBe("");
  });

  it("columns, filter, selected", () => {
    expect(readColumns(["a", "", 3, "b", "a"])).toEqual(["a", "b"]);
    expect(readColumns(undefined)).toEqual([]);
    expect(readFilter("wrong")).toBe("wrong");
    expect(readFilter("WRONG")).toBe("all");
    expect(readFilter(undefined)).toBe("all");
    expect(readSelected(3)).toBe(3);
    expect(readSelected(-1)).toBe(-1);
    expect(readSelected(-5)).toBe(-1);
    expect(readSelected(2.5)).toBe(-1);
    expect(readSelected("3")).toBe(-1);
  });

  it("the whole state", () => {
    const traits: Record<string, unknown> = {
      items: [{ row: 0 }],
      columns: ["probability"],
      sort_by: "probability",
      descending: true,
      filter: "errors",
      selected: 0,
    };
    const s = readState((name) => traits[name]);
    expect(s).toMatchObject({
      columns: ["probability"],
      sortBy: "probability",
      descending: true,
      filter: "errors",
      selected: 0,
    });
    expect(s.items).toHaveLength(1);
    const empty = readState(() => undefined);
    expect(empty).toEqual({
      items: [],
      columns: [],
      sortBy: "",
      descending: false,
      filter: "all",
      selected: -1,
    });
    expect(readState((name) => (name === "descending" ? 1 : undefined)).descending).toBe(false);
  });
});

describe("formatting", () => {
  it("shares and scores with 3 decimals", () => {
    expect(formatValue("probability", 0.93214)).toBe("0.932");
    expect(formatValue("stability", 1)).toBe("1.000");
    expect(formatValue("object_share", -0.00001)).toBe("0.000");
    expect(formatValue("deletion_auc", 0.1236)).toBe("0.124");
  });

  it("counts as integers, seconds with a unit, pointing_hit as yes/no", () => {
    expect(formatValue("flip_k", 3)).toBe("3");
    expect(formatValue("index", 12)).toBe("12");
    expect(formatValue("seconds", 1.234)).toBe("1.23 s");
    expect(formatValue("seconds", 42.26)).toBe("42.3 s");
    expect(formatValue("pointing_hit", 1)).toBe("yes");
    expect(formatValue("pointing_hit", 0)).toBe("no");
  });

  it("other columns; missing values as a dash", () => {
    expect(formatValue("n", 7)).toBe("7");
    expect(formatValue("n", 0.123456)).toBe("0.123");
    expect(formatValue("n", 1234.5)).toBe("1234.5");
    expect(formatValue("probability", null)).toBe("—");
    expect(formatValue("flip_k", undefined)).toBe("—");
    expect(formatValue("seconds", Number.NaN)).toBe("—");
  });

  it("labels, captions, count and toggle texts", () => {
    expect(columnLabel("object_share")).toBe("object share");
    expect(sortCaption("deletion_auc", 0.5)).toBe("deletion auc 0.500");
    expect(sortCaption("flip_k", null)).toBe("flip k —");
    expect(sortCaption("", 0.5)).toBe("");
    expect(countText(3, 10)).toBe("3 of 10 shown");
    expect(orderText(false)).toBe("↑ ascending");
    expect(orderText(true)).toBe("↓ descending");
    expect(emptyText(0, "all")).toBe("no images");
    expect(emptyText(4, "wrong")).toBe("no images match “wrong only”");
  });

  it("the accessible name of an item", () => {
    const ok = item(
      0,
      { probability: 0.93 },
      { title: "cat.png", subtitle: "Egyptian cat 0.93 ✓" },
    );
    expect(itemLabel(ok, "probability")).toBe("cat.png, Egyptian cat 0.93 ✓, probability 0.930");
    const bad = item(1, {}, { title: "#1", error: "ValueError: boom", subtitle: "" });
    expect(itemLabel(bad, "")).toBe("#1, error: ValueError: boom");
  });
});

describe("keyboard navigation", () => {
  const shown = [4, 0, 7, 2];
  it("steps within the shown order, clamped at the ends", () => {
    expect(moveFocus(shown, 0, 1)).toBe(7);
    expect(moveFocus(shown, 0, -1)).toBe(4);
    expect(moveFocus(shown, 4, -1)).toBe(4);
    expect(moveFocus(shown, 7, 3)).toBe(2);
    expect(moveFocus(shown, 7, "first")).toBe(4);
    expect(moveFocus(shown, 4, "last")).toBe(2);
  });
  it("an unknown row goes to the first; nothing shown gives -1", () => {
    expect(moveFocus(shown, 99, 1)).toBe(4);
    expect(moveFocus([], 0, 1)).toBe(-1);
  });
});

/**
 * Typed, coerced reading of the synced traits: values from the wire are untrusted, so every
 * reader falls back to a safe default; and `setTraits`, the one way the views write traits.
 * DOM-free.
 */

import type { ClassInfo, FlipInfo, HeatmapMethod, LimeTraits, Probe, ScoreRow } from "../protocol";
import { normalizeMask } from "./masks";
import type { BytesLike } from "./segments";

export const arrayOr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export const intOr = (v: unknown, d: number): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d;

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The part of an anywidget model that writes traits (of trait map `T`). */
export interface TraitWriter<T> {
  set<K extends keyof T>(name: K, value: T[K]): void;
  save_changes(): void;
}

/**
 * Set the traits in `values`, in their order, and send them to the kernel together in one
 * `save_changes()` (one message, so Python sees e.g. `visible` and its new `rev` at once). With
 * `send: false` they are only set (drawn at once, sent with the next save: a slider being dragged).
 */
export function setTraits<T>(
  model: TraitWriter<T>,
  values: Partial<T>,
  { send = true }: { send?: boolean } = {},
): void {
  for (const name of Object.keys(values) as (keyof T)[]) {
    model.set(name, values[name] as T[keyof T]);
  }
  if (send) model.save_changes();
}

/** Reads one trait (e.g. `(name) => model.get(name)`). */
export type TraitReader = (name: keyof LimeTraits) => unknown;

/** What the panel, the controls and the canvas show, read from the traits at one moment. */
export interface Snapshot {
  /** `visible`; its length is K, the number of superpixels. */
  mask: boolean[];
  classes: ClassInfo[];
  selected: number;
  rev: number;
  scoredRev: number;
  status: string;
  error: string;
  history: Probe[];
  originalScores: ScoreRow[];
  scores: ScoreRow[];
  surrogate: number[];
  showHeatmap: boolean;
  /** `heatmap_opacity`, clamped to 0..1 (0.45 when missing or not a number). */
  heatmapOpacity: number;
  /** `heatmap_method`: "gradcam" only when it is set and the classes carry Grad-CAM; else "lime". */
  heatmapMethod: HeatmapMethod;
  topK: number;
  /** A saved HTML file without a kernel (`offline`). */
  offline: boolean;
  /** `flip` ({} when missing or not an object). */
  flip: FlipInfo;
  /**
   * The scores are the model's for the mask on screen, known in the view (pre-scored) before the
   * kernel answered (see core/known.ts); false when they came with `scored_rev`.
   */
  known: boolean;
  /** `show_curve`. */
  showCurve: boolean;
  /** `curve_ranking` ("lime" when missing). */
  curveRanking: string;
  /** `curve_mode`: "insertion" or else "deletion". */
  curveMode: "deletion" | "insertion";
  /** The `curve` trait as sent (checked by `readCurve`). */
  curve: unknown;
}

/** The heatmap opacity used when the trait is missing or malformed (Python's default too). */
export const DEFAULT_OPACITY = 0.45;

/** `v` as an opacity in 0..1; `DEFAULT_OPACITY` when it is not a finite number. */
export function opacityOr(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v)
    ? Math.max(0, Math.min(1, v))
    : DEFAULT_OPACITY;
}

export function readSnapshot(get: TraitReader): Snapshot {
  const s = readTraits(get);
  s.heatmapMethod =
    get("heatmap_method") === "gradcam" && hasGradcam(s.classes) ? "gradcam" : "lime";
  return s;
}

/** Whether the classes carry Grad-CAM scores (a widget made with `gradcam=True`). */
export function hasGradcam(classes: readonly ClassInfo[]): boolean {
  return classes.length > 0 && classes.every((c) => Array.isArray(c.gradcam));
}

/** Grad-CAM scores of `info` as numbers (null and non-numbers: NaN); empty when it has none. */
export function gradcamScores(info: ClassInfo | undefined): number[] {
  const g = info?.gradcam;
  if (!Array.isArray(g)) return [];
  return g.map((x) => (typeof x === "number" && Number.isFinite(x) ? x : Number.NaN));
}

/** The per-superpixel scores the heatmap shows and the top-k buttons rank by. */
export function shownScores(s: Pick<Snapshot, "classes" | "selected" | "heatmapMethod">): number[] {
  return s.heatmapMethod === "gradcam" ? gradcamScores(selectedClass(s)) : selectedWeights(s);
}

function readTraits(get: TraitReader): Snapshot {
  return {
    mask: normalizeMask(get("visible")),
    classes: arrayOr<ClassInfo>(get("classes")),
    selected: intOr(get("selected_label"), -1),
    rev: intOr(get("rev"), 0),
    scoredRev: intOr(get("scored_rev"), -1),
    status: String(get("status") ?? ""),
    error: String(get("error") ?? ""),
    history: arrayOr<Probe>(get("history")),
    originalScores: arrayOr<ScoreRow>(get("original_scores")),
    scores: arrayOr<ScoreRow>(get("scores")),
    surrogate: arrayOr<number>(get("surrogate")),
    showHeatmap: Boolean(get("show_heatmap")),
    heatmapOpacity: opacityOr(get("heatmap_opacity")),
    heatmapMethod: "lime",
    topK: intOr(get("top_k"), 1),
    offline: get("offline") === true,
    flip: ((v) =>
      typeof v === "object" && v !== null && !Array.isArray(v) ? (v as FlipInfo) : {})(get("flip")),
    known: false,
    showCurve: get("show_curve") === true,
    curveRanking: typeof get("curve_ranking") === "string" ? String(get("curve_ranking")) : "lime",
    curveMode: get("curve_mode") === "insertion" ? "insertion" : "deletion",
    curve: get("curve"),
  };
}

/** The tracked class, or undefined when `selected_label` is not one of `classes`. */
export function selectedClass(s: Pick<Snapshot, "classes" | "selected">): ClassInfo | undefined {
  return s.classes.find((c) => c.id === s.selected);
}

/** LIME weights of the tracked class (empty when there is none). */
export function selectedWeights(s: Pick<Snapshot, "classes" | "selected">): number[] {
  return arrayOr<number>(selectedClass(s)?.weights);
}

/** What the canvas decodes: the two PNGs and the label map, for K = `nSegments` superpixels. */
export interface ImageSource {
  width: number;
  height: number;
  image: BytesLike | undefined;
  hidden: BytesLike;
  segments: BytesLike;
  dtype: string;
  nSegments: number;
}

export function readImageSource(get: TraitReader): ImageSource {
  return {
    width: intOr(get("width"), 0),
    height: intOr(get("height"), 0),
    // Bytes traits arrive as DataViews; decoding rejects anything else.
    image: get("image_png") as BytesLike | undefined,
    hidden: get("hidden_png") as BytesLike,
    segments: get("segments_bytes") as BytesLike,
    dtype: String(get("segments_dtype")),
    nSegments: normalizeMask(get("visible")).length,
  };
}

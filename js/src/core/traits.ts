/**
 * Typed, coerced reading of the synced traits: values from the wire are untrusted, so every
 * reader falls back to a safe default. Pure and DOM-free.
 */

import type { ClassInfo, LimeTraits, Probe, ScoreRow } from "../protocol";
import { normalizeMask } from "./masks";
import type { BytesLike } from "./segments";

export const arrayOr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export const intOr = (v: unknown, d: number): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : d;

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

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
  topK: number;
}

export function readSnapshot(get: TraitReader): Snapshot {
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
    topK: intOr(get("top_k"), 1),
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

/**
 * Number and text formatting for the panel, the legend and the tooltip. Pure and DOM-free.
 */

/** Fixed decimals, never "-0.0000". */
function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
}

/** A score / probability with 4 decimals ("0.7812"); "—" when missing. */
export function formatProb(x: number | undefined | null, digits = 4): string {
  return x === undefined || x === null || !Number.isFinite(x) ? "—" : fixed(x, digits);
}

/** Signed number ("+0.0123", "-0.0450", "0.0000"); "—" when missing. */
export function formatSigned(x: number | undefined | null, digits = 4): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return "—";
  const s = fixed(x, digits);
  return Number(s) > 0 ? `+${s}` : s;
}

/** Relative change of `change` with respect to `original` ("+12.3%"); "" when undefined. */
export function formatRelativeChange(
  change: number | undefined,
  original: number | undefined,
  digits = 1,
): string {
  if (
    change === undefined ||
    original === undefined ||
    !Number.isFinite(change) ||
    original === 0
  ) {
    return "";
  }
  const s = fixed((change / Math.abs(original)) * 100, digits);
  return `${Number(s) > 0 ? "+" : ""}${s}%`;
}

/** Rank change as an arrow: "↑2", "↓1", "=", or "new" when the class was not ranked before. */
export function formatRankChange(d: number | null): string {
  if (d === null) return "new";
  if (d > 0) return `↑${d}`;
  if (d < 0) return `↓${-d}`;
  return "=";
}

/** Change of the tracked score with its relative size ("-0.4500 (-75.0%)"); "—" when missing. */
export function formatChange(change: number | undefined, original: number | undefined): string {
  if (change === undefined) return "—";
  const relative = formatRelativeChange(change, original);
  return relative === "" ? formatSigned(change) : `${formatSigned(change)} (${relative})`;
}

/** A share in [0, 1] as an integer percent ("87%"); "—" when missing. */
export function formatPercent(x: number | undefined | null): string {
  return x === undefined || x === null || !Number.isFinite(x) ? "—" : `${Math.round(x * 100)}%`;
}

/** Bootstrap uncertainty of one superpixel's weight, as far as known (see core/uncertainty). */
export interface WeightUncertainty {
  /** Standard error of the weight. */
  std?: number;
  /** Share of refits with the superpixel among the top `k` most positive weights. */
  confidence?: number;
  k?: number;
}

/**
 * Text of the superpixel tooltip: "superpixel #12, weight +0.0312 ± 0.0021, in the top 5 in
 * 87% of refits (hidden)"; the "± std" part only when the weight and its std are known, the
 * "in the top k" part only when the confidence and k are known.
 */
export function formatTooltip(
  id: number,
  weight: number | undefined,
  hidden: boolean,
  u: WeightUncertainty = {},
): string {
  let text = `superpixel #${id}, weight ${formatSigned(weight)}`;
  if (weight !== undefined && Number.isFinite(weight) && finiteNumber(u.std) && u.std >= 0) {
    text += ` ± ${formatProb(u.std)}`;
  }
  if (finiteNumber(u.confidence) && finiteNumber(u.k)) {
    text += `, in the top ${u.k} in ${formatPercent(u.confidence)} of refits`;
  }
  return `${text}${hidden ? " (hidden)" : ""}`;
}

const finiteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

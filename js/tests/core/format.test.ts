import { describe, expect, it } from "vitest";
import {
  formatChange,
  formatPercent,
  formatProb,
  formatRankChange,
  formatRelativeChange,
  formatSigned,
  formatTooltip,
} from "../../src/core/format";

describe("formatting", () => {
  it("formatProb: 4 decimals, dash when missing", () => {
    expect(formatProb(0.78123)).toBe("0.7812");
    expect(formatProb(1)).toBe("1.0000");
    expect(formatProb(-0.00001)).toBe("0.0000");
    expect(formatProb(undefined)).toBe("—");
    expect(formatProb(Number.NaN)).toBe("—");
    expect(formatProb(0.98765, 3)).toBe("0.988");
  });

  it("formatSigned: explicit sign, no negative zero", () => {
    expect(formatSigned(0.0123)).toBe("+0.0123");
    expect(formatSigned(-0.045)).toBe("-0.0450");
    expect(formatSigned(0)).toBe("0.0000");
    expect(formatSigned(-0.00001)).toBe("0.0000");
    expect(formatSigned(null)).toBe("—");
  });

  it("formatRelativeChange", () => {
    expect(formatRelativeChange(-0.3, 0.6)).toBe("-50.0%");
    expect(formatRelativeChange(0.06, 0.6)).toBe("+10.0%");
    expect(formatRelativeChange(0.1, -0.5)).toBe("+20.0%");
    expect(formatRelativeChange(0.1, 0)).toBe("");
    expect(formatRelativeChange(undefined, 0.5)).toBe("");
  });

  it("formatRankChange", () => {
    expect(formatRankChange(2)).toBe("↑2");
    expect(formatRankChange(-1)).toBe("↓1");
    expect(formatRankChange(0)).toBe("=");
    expect(formatRankChange(null)).toBe("new");
  });

  it("formatChange: signed change with its relative size", () => {
    expect(formatChange(-0.45, 0.6)).toBe("-0.4500 (-75.0%)");
    expect(formatChange(0.06, 0.6)).toBe("+0.0600 (+10.0%)");
    expect(formatChange(0.1, 0)).toBe("+0.1000");
    expect(formatChange(0.1, undefined)).toBe("+0.1000");
    expect(formatChange(undefined, 0.6)).toBe("—");
  });

  it("formatTooltip", () => {
    expect(formatTooltip(3, 0.0123, false)).toBe("superpixel #3, weight +0.0123");
    expect(formatTooltip(0, -0.5, true)).toBe("superpixel #0, weight -0.5000 (hidden)");
    expect(formatTooltip(7, undefined, false)).toBe("superpixel #7, weight —");
    expect(formatTooltip(3, 0.0123, false, {})).toBe("superpixel #3, weight +0.0123");
  });

  it("formatPercent: integer percent, dash when missing", () => {
    expect(formatPercent(0.874)).toBe("87%");
    expect(formatPercent(0.875)).toBe("88%");
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
  });

  it("formatTooltip with the bootstrap uncertainty", () => {
    const u = { std: 0.0021, confidence: 0.8712, k: 5 };
    expect(formatTooltip(12, 0.0312, true, u)).toBe(
      "superpixel #12, weight +0.0312 ± 0.0021, in the top 5 in 87% of refits (hidden)",
    );
    expect(formatTooltip(12, 0.0312, false, u)).toBe(
      "superpixel #12, weight +0.0312 ± 0.0021, in the top 5 in 87% of refits",
    );
    // Each part only when known.
    expect(formatTooltip(1, -0.5, false, { std: 0.1 })).toBe(
      "superpixel #1, weight -0.5000 ± 0.1000",
    );
    expect(formatTooltip(1, -0.5, true, { confidence: 0, k: 3 })).toBe(
      "superpixel #1, weight -0.5000, in the top 3 in 0% of refits (hidden)",
    );
    expect(formatTooltip(1, 0.5, false, { confidence: 0.5 })).toBe("superpixel #1, weight +0.5000");
  });

  it("formatTooltip ignores malformed uncertainty", () => {
    const plain = "superpixel #2, weight +0.1000";
    expect(formatTooltip(2, 0.1, false, { std: Number.NaN })).toBe(plain);
    expect(formatTooltip(2, 0.1, false, { std: -1 })).toBe(plain);
    expect(formatTooltip(2, 0.1, false, { confidence: Number.POSITIVE_INFINITY, k: 5 })).toBe(
      plain,
    );
    expect(formatTooltip(2, 0.1, false, { confidence: 0.5, k: Number.NaN })).toBe(plain);
    // No "± std" without a weight.
    expect(formatTooltip(2, undefined, false, { std: 0.1 })).toBe("superpixel #2, weight —");
  });
});

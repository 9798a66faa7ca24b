import { describe, expect, it } from "vitest";
import {
  formatChange,
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
  });
});

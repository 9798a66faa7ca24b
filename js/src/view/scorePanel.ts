/**
 * The score panel (built and updated here): status line, error box, score list, new-top banner and
 * class table.
 */

import { formatProb, formatRankChange } from "../core/format";
import {
  agreementCell,
  type Cell,
  maskSummary,
  OFFLINE_SURROGATE_LABEL,
  rankClass,
  rankTitle,
  rowClass,
  scoreCells,
  stabilityTexts,
  statusView,
  TABLE_ROWS,
  topBannerText,
  topKStatusRow,
} from "../core/panel";
import { type ClassTableRow, classTable, summarize } from "../core/scores";
import { type Snapshot, selectedClass } from "../core/traits";
import { h, setNumber, setText } from "./dom";

const show = (el: HTMLElement, cell: Cell): void => setNumber(el, cell.value, cell.text);

/** The parts of the panel the view updates. */
interface PanelParts {
  status: HTMLSpanElement;
  errorBox: HTMLDivElement;
  scoreNow: HTMLElement;
  scoreOriginal: HTMLElement;
  scoreChange: HTMLElement;
  scoreSurrogate: HTMLElement;
  surrogateLabel: HTMLElement;
  scoreR2: HTMLElement;
  stabilityLabel: HTMLElement;
  stability: HTMLElement;
  /** "Top k" row: whether the refits decide the top k (hidden when unknown). */
  topKStatusLabel: HTMLElement;
  topKStatus: HTMLElement;
  hiddenCount: HTMLElement;
  /** "LIME vs Grad-CAM" row (hidden without Grad-CAM). */
  agreementLabel: HTMLElement;
  agreement: HTMLElement;
  topBanner: HTMLDivElement;
  classTable: HTMLTableElement;
  classBody: HTMLTableSectionElement;
}

export class ScorePanel {
  /** The status line (placed in the panel's header, beside the class selector). */
  readonly status: HTMLSpanElement;
  /** Under the header: the error box, the score list, the new-top banner and the class table. */
  readonly nodes: readonly HTMLElement[];
  private readonly p: PanelParts = buildPanel();

  constructor() {
    const p = this.p;
    this.status = p.status;
    this.nodes = [
      p.errorBox,
      h("dl", { class: "lime-scores" }, [
        h("dt", { text: "Probability now" }),
        p.scoreNow,
        h("dt", { text: "Original" }),
        p.scoreOriginal,
        h("dt", { text: "Change" }),
        p.scoreChange,
        p.surrogateLabel,
        p.scoreSurrogate,
        h("dt", { text: "Surrogate R²" }),
        p.scoreR2,
        p.stabilityLabel,
        p.stability,
        p.topKStatusLabel,
        p.topKStatus,
        h("dt", { text: "Hidden" }),
        p.hiddenCount,
        p.agreementLabel,
        p.agreement,
      ]),
      p.topBanner,
      p.classTable,
    ];
  }

  /** Render `s`; `localError` is the front end's own error message ("" when none). */
  update(s: Snapshot, localError: string): void {
    const p = this.p;
    const st = statusView(s, localError);
    setText(p.status, st.text);
    p.status.setAttribute("data-status", st.raw);
    p.status.className = st.className;
    setText(p.errorBox, st.errors.join("\n"));
    p.errorBox.hidden = st.errors.length === 0;

    const sum = summarize(s);
    const cells = scoreCells(sum, s.offline);
    setText(p.surrogateLabel, s.offline ? OFFLINE_SURROGATE_LABEL : "Surrogate");
    show(p.scoreNow, cells.now);
    p.scoreNow.setAttribute("data-rev", sum.current ? String(s.rev) : "");
    // "true": the model's score of this mask was known in the view (pre-scored) before the kernel answered
    p.scoreNow.setAttribute("data-known", String(sum.current && s.known));
    if (sum.current) p.scoreNow.removeAttribute("aria-busy");
    else p.scoreNow.setAttribute("aria-busy", "true");
    show(p.scoreChange, cells.change);
    show(p.scoreSurrogate, cells.surrogate);
    p.scoreChange.classList.toggle("lime-up", sum.change !== undefined && sum.change > 0);
    p.scoreChange.classList.toggle("lime-down", sum.change !== undefined && sum.change < 0);
    show(p.scoreOriginal, cells.original);
    show(p.scoreR2, cells.r2);
    show(p.stability, cells.stability);
    const stab = stabilityTexts(sum.stabilityK);
    setText(p.stabilityLabel, stab.label);
    p.stabilityLabel.setAttribute("title", stab.title);
    p.stability.setAttribute("title", stab.title);
    const topK = topKStatusRow(sum);
    p.topKStatusLabel.hidden = topK === null;
    p.topKStatus.hidden = topK === null;
    if (topK !== null) {
      setText(p.topKStatusLabel, topK.label);
      setText(p.topKStatus, topK.text);
      p.topKStatusLabel.setAttribute("title", topK.title);
      p.topKStatus.setAttribute("title", topK.title);
    }
    setText(p.hiddenCount, maskSummary(s.mask).hidden);
    const agree = agreementCell(selectedClass(s)?.agreement);
    p.agreementLabel.hidden = agree === null;
    p.agreement.hidden = agree === null;
    if (agree !== null) show(p.agreement, agree);

    // Class table: the last scored rows (dimmed while a newer mask is scoring).
    const rows = classTable(s.originalScores, s.scores, s.selected, TABLE_ROWS);
    p.classTable.classList.toggle("lime-stale", !sum.current);
    p.classBody.replaceChildren(...rows.map((r) => tableRow(r, sum.topChanged)));
    const banner = topBannerText(rows, sum.topChanged);
    setText(p.topBanner, banner);
    p.topBanner.hidden = banner === "";
  }
}

function tableRow(r: ClassTableRow, topChanged: boolean): HTMLTableRowElement {
  const name = h("td", { class: "lime-class-name" }, [h("span", { text: r.name })]);
  if (r.isNewTop) {
    name.appendChild(h("span", { class: "lime-badge lime-badge-new", text: "new top class" }));
  }
  if (r.isOriginalTop && topChanged) {
    name.appendChild(h("span", { class: "lime-badge lime-badge-was", text: "was top" }));
  }
  const attrs = { "data-class-id": String(r.id), "data-rank": String(r.rank) };
  return h("tr", { class: rowClass(r), attrs }, [
    name,
    h("td", { class: "lime-num", text: formatProb(r.prob) }),
    h("td", { class: "lime-num", text: formatProb(r.original) }),
    h("td", {
      class: rankClass(r.rankChange),
      text: formatRankChange(r.rankChange),
      attrs: { title: rankTitle(r) },
    }),
  ]);
}

function buildPanel(): PanelParts {
  const value = (cls: string, testid?: string): HTMLElement =>
    h("dd", testid === undefined ? { class: cls } : { class: cls, testid });
  const status = h("span", {
    class: "lime-status",
    testid: "lime-status",
    attrs: { role: "status", "aria-live": "polite" },
  });
  const errorBox = h("div", {
    class: "lime-error",
    testid: "lime-error",
    attrs: { role: "alert" },
  });
  errorBox.hidden = true;
  const topBanner = h("div", { class: "lime-banner", attrs: { role: "status" } });
  topBanner.hidden = true;
  // Hidden until a class with a status is shown (no empty row before the first update).
  const topKStatusLabel = h("dt", { class: "lime-top-k-status-label" });
  const topKStatus = value("lime-value lime-top-k-status", "lime-top-k-status");
  topKStatusLabel.hidden = true;
  topKStatus.hidden = true;
  const col = (text: string) => h("th", { text, attrs: { scope: "col" } });
  const classBody = h("tbody");
  const classTable = h("table", { class: "lime-classes", testid: "lime-classes" }, [
    h("caption", { text: "Top classes" }),
    h("thead", {}, [h("tr", {}, [col("class"), col("prob now"), col("prob orig."), col("rank")])]),
    classBody,
  ]);
  return {
    status,
    errorBox,
    scoreNow: value("lime-value lime-now", "lime-score"),
    scoreOriginal: value("lime-value", "lime-original"),
    scoreChange: value("lime-value", "lime-change"),
    scoreSurrogate: value("lime-value", "lime-surrogate"),
    surrogateLabel: h("dt", {
      text: "Surrogate",
      testid: "lime-surrogate-label",
      attrs: { title: "Prediction of the linear LIME surrogate for this mask" },
    }),
    scoreR2: value("lime-value lime-r2"),
    stabilityLabel: h("dt", { class: "lime-stability-label" }),
    stability: value("lime-value lime-stability", "lime-stability"),
    topKStatusLabel,
    topKStatus,
    hiddenCount: value("lime-value lime-hidden-count"),
    agreementLabel: h("dt", {
      text: "LIME vs Grad-CAM",
      attrs: {
        title:
          "Spearman rank correlation of LIME's weights and Grad-CAM over the superpixels, and how many of " +
          "their top superpixels they share",
      },
    }),
    agreement: value("lime-value", "lime-agreement"),
    topBanner,
    classTable,
    classBody,
  };
}

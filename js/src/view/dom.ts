/**
 * Tiny DOM helpers, shared by the widget and the gallery. Text only ever goes in through
 * textContent, never innerHTML.
 */

export interface ElementProps {
  class?: string;
  text?: string;
  testid?: string;
  attrs?: Record<string, string>;
}

/** Create an element with a class, text content, data-testid and attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: readonly Node[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class !== undefined) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.testid !== undefined) el.setAttribute("data-testid", props.testid);
  if (props.attrs !== undefined) {
    for (const [name, value] of Object.entries(props.attrs)) el.setAttribute(name, value);
  }
  for (const child of children) el.appendChild(child);
  return el;
}

/** A real <button type="button"> with visible text and an optional longer accessible name. */
export function button(text: string, testid?: string, label?: string): HTMLButtonElement {
  const attrs: Record<string, string> = { type: "button" };
  if (label !== undefined) {
    attrs["aria-label"] = label;
    attrs.title = label;
  }
  const props: ElementProps = { class: "lime-button", text, attrs };
  if (testid !== undefined) props.testid = testid;
  return h("button", props);
}

/** Set text only when it changed (avoids needless layout and screen-reader chatter). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Set a number cell: its text and the full-precision `data-value` ("" when missing). */
export function setNumber(cell: HTMLElement, value: number | undefined, text: string): void {
  setText(cell, text);
  cell.setAttribute("data-value", value === undefined ? "" : String(value));
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Create an SVG element with attributes and children. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  children: readonly Node[] = [],
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  for (const child of children) el.appendChild(child);
  return el;
}

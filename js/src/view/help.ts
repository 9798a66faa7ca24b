/**
 * The keyboard help: the "?" button and the list of shortcuts it shows or hides (the "help" action
 * of core/actions.ts runs `toggle`, from the button or the "?" key).
 */

import { SHORTCUT_HELP } from "../core/actions";
import { button, h } from "./dom";

export class Help {
  /** The list of keyboard shortcuts (hidden until asked for). */
  readonly root: HTMLDivElement;
  /** The "?" button (placed in the heatmap toolbar by the controls). */
  readonly button: HTMLButtonElement;

  constructor() {
    const rows = SHORTCUT_HELP.flatMap((x) => [
      h("dt", {}, [h("kbd", { text: x.keys })]),
      h("dd", { text: x.text }),
    ]);
    const note = (text: string) => h("div", { class: "lime-help-title", text });
    this.root = h(
      "div",
      {
        class: "lime-help",
        testid: "lime-help",
        attrs: { id: `lime-help-${Math.random().toString(36).slice(2)}`, role: "note" },
      },
      [
        note("Keys (click the image or press Tab to focus it)"),
        h("dl", {}, rows),
        note("Drag across the image to hide (or show) many superpixels in one probe."),
        note(
          "Zoomed in: Ctrl+wheel zooms at the pointer; Shift+drag, a middle-button drag or the wheel pans.",
        ),
      ],
    );
    this.root.hidden = true;
    this.button = button("?", "lime-help-button", "Keyboard shortcuts");
    this.button.setAttribute("aria-expanded", "false");
    this.button.setAttribute("aria-controls", this.root.id);
  }

  /** Show or hide the list of keyboard shortcuts. */
  toggle(): void {
    this.root.hidden = !this.root.hidden;
    this.button.setAttribute("aria-expanded", String(!this.root.hidden));
  }
}

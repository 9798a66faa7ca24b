/**
 * The widget's keyboard shortcuts: which key does what, and the help text that lists them.
 * Pure and DOM-free; the canvas handles the superpixel keys (arrows, Enter, Space, Escape) itself.
 */

export type Shortcut =
  | "undo"
  | "redo"
  | "reset"
  | "invert"
  | "hideTopK"
  | "keepTopK"
  | "nextClass"
  | "prevClass"
  | "heatmap"
  | "zoomIn"
  | "zoomOut"
  | "zoomReset"
  | "help";

/** The parts of a KeyboardEvent the shortcuts read. */
export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
}

/** One line of the help: the keys as shown to the user and what they do. */
export interface ShortcutHelp {
  keys: string;
  text: string;
}

export const SHORTCUT_HELP: readonly ShortcutHelp[] = [
  { keys: "← → ↑ ↓", text: "focus the next / previous superpixel" },
  { keys: "Enter, Space", text: "hide or show the focused superpixel" },
  { keys: "Esc", text: "leave the superpixels" },
  { keys: "Z, Ctrl+Z", text: "undo" },
  { keys: "Y, Shift+Z, Ctrl+Y", text: "redo" },
  { keys: "R", text: "reset: show all" },
  { keys: "I", text: "invert the mask" },
  { keys: "H / K", text: "hide / keep the top k" },
  { keys: "N / P", text: "next / previous class" },
  { keys: "M", text: "heatmap on / off" },
  { keys: "+ / − / 0", text: "zoom in / out / fit the image" },
  { keys: "?", text: "show / hide this help" },
];

/**
 * The shortcut of key event `e`, or null for keys the widget leaves alone (Alt combinations, and
 * Ctrl/Cmd with anything but Z and Y, so the browser's and the notebook's own shortcuts still work).
 */
export function shortcutFor(e: KeyInput): Shortcut | null {
  if (e.altKey) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.ctrlKey || e.metaKey) {
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y") return "redo";
    return null;
  }
  switch (key) {
    case "z":
      return e.shiftKey ? "redo" : "undo";
    case "y":
      return "redo";
    case "r":
      return "reset";
    case "i":
      return "invert";
    case "h":
      return "hideTopK";
    case "k":
      return "keepTopK";
    case "n":
      return "nextClass";
    case "p":
      return "prevClass";
    case "m":
      return "heatmap";
    case "+":
    case "=":
      return "zoomIn";
    case "-":
      return "zoomOut";
    case "0":
      return "zoomReset";
    case "?":
      return "help";
    default:
      return null;
  }
}

/** The class after (`step` 1) or before (-1) `current` in `ids`, wrapping; `current` if not found. */
export function cycleClass(ids: readonly number[], current: number, step: 1 | -1): number {
  const n = ids.length;
  if (n === 0) return current;
  const i = ids.indexOf(current);
  if (i < 0) return ids[0];
  return ids[(i + step + n) % n];
}

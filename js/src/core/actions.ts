/**
 * The widget's actions: one table, name -> what it runs, the keys and the buttons that trigger it,
 * used by both the keyboard and the toolbar buttons; and the help text that lists the keys.
 * Pure and DOM-free; the canvas and the curve handle their own keys (arrows, Enter, Space, Escape).
 */

export type Action =
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
  | "help"
  | "findFlip"
  | "showFlip";

/** What triggers an action. */
export interface Trigger {
  /**
   * Key chords: the key ("z", "?", "+"), after "shift+" when Shift must be held (letters only: "?"
   * and "+" need Shift on most layouts anyway) and "ctrl+" for Ctrl or Cmd ("ctrl+shift+z").
   */
  readonly keys: readonly string[];
  /** The `data-testid`s of the buttons that run it. */
  readonly buttons: readonly string[];
}

/** An entry of the action table: what it runs, and its keys and buttons. */
export interface ActionEntry extends Trigger {
  readonly run: () => void;
}

export type ActionTable = Readonly<Record<Action, ActionEntry>>;

/** The keys and buttons of every action (the buttons are built in js/src/view). */
export const TRIGGERS: Readonly<Record<Action, Trigger>> = {
  undo: { keys: ["z", "ctrl+z"], buttons: ["lime-undo"] },
  redo: { keys: ["y", "shift+z", "ctrl+y", "ctrl+shift+z"], buttons: ["lime-redo"] },
  reset: { keys: ["r"], buttons: ["lime-reset"] },
  invert: { keys: ["i"], buttons: ["lime-invert"] },
  hideTopK: { keys: ["h"], buttons: ["lime-hide-topk"] },
  keepTopK: { keys: ["k"], buttons: ["lime-keep-topk"] },
  nextClass: { keys: ["n"], buttons: [] },
  prevClass: { keys: ["p"], buttons: [] },
  // The heatmap checkbox sets show_heatmap to its own state (ControlHandlers.heatmap); the key flips it.
  heatmap: { keys: ["m"], buttons: [] },
  zoomIn: { keys: ["+", "="], buttons: ["lime-zoom-in"] },
  zoomOut: { keys: ["-"], buttons: ["lime-zoom-out"] },
  zoomReset: { keys: ["0"], buttons: ["lime-zoom-reset"] },
  help: { keys: ["?"], buttons: ["lime-help-button"] },
  findFlip: { keys: [], buttons: ["lime-flip-find"] },
  showFlip: { keys: [], buttons: ["lime-flip-show"] },
};

/** The action table: each action's `run` with its keys and buttons from `triggers`. */
export function actionTable(
  runs: Readonly<Record<Action, () => void>>,
  triggers: Readonly<Record<Action, Trigger>> = TRIGGERS,
): ActionTable {
  const table = {} as Record<Action, ActionEntry>;
  for (const name of Object.keys(triggers) as Action[]) {
    table[name] = { ...triggers[name], run: runs[name] };
  }
  return table;
}

/** The parts of a KeyboardEvent the shortcuts read. */
export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
}

/**
 * The chords key event `e` may mean, the most specific first ("shift+z" before "z", so Shift+R
 * still resets); none with Alt, so the browser's and the system's Alt shortcuts keep working.
 */
export function chordsOf(e: KeyInput): string[] {
  if (e.altKey) return [];
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const ctrl = e.ctrlKey || e.metaKey ? "ctrl+" : "";
  return e.shiftKey ? [`${ctrl}shift+${key}`, `${ctrl}${key}`] : [`${ctrl}${key}`];
}

/**
 * The action of key event `e` in `table`, or null for keys the widget leaves alone (Alt
 * combinations, and Ctrl/Cmd chords the table does not list, so the browser's and the notebook's
 * own shortcuts still work).
 */
export function shortcutFor(
  e: KeyInput,
  table: Readonly<Record<Action, Trigger>> = TRIGGERS,
): Action | null {
  const names = Object.keys(table) as Action[];
  for (const chord of chordsOf(e)) {
    const name = names.find((n) => table[n].keys.includes(chord));
    if (name !== undefined) return name;
  }
  return null;
}

/** Run the action of key event `e`; false when no action has that key. */
export function runKey(table: ActionTable, e: KeyInput): boolean {
  const name = shortcutFor(e, table);
  if (name === null) return false;
  table[name].run();
  return true;
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

/** The class after (`step` 1) or before (-1) `current` in `ids`, wrapping; `current` if not found. */
export function cycleClass(ids: readonly number[], current: number, step: 1 | -1): number {
  const n = ids.length;
  if (n === 0) return current;
  const i = ids.indexOf(current);
  if (i < 0) return ids[0];
  return ids[(i + step + n) % n];
}

// The window's keyboard shortcuts: the list `?` shows, the rule that leaves keys to a field being
// typed in, and the `g` sequences. Pure: the components listen and act.

/** Where a shortcut works. */
export type ShortcutScope = "Anywhere" | "Environment screen" | "Log view" | "Dialogs and menus";

export interface Shortcut {
  /** The keys, pressed one after the other; a `+` joins keys held together. */
  keys: string[];
  description: string;
  scope: ShortcutScope;
}

/** The screens `g` then a letter goes to. */
export type Section = "environments" | "apps" | "system";

const GO: Record<string, Section> = { e: "environments", a: "apps", s: "system" };

/** How long after `g` its second key still counts, in milliseconds. */
export const SEQUENCE_MS = 1000;

/** Whether the window runs on macOS, where ⌘ stands for Ctrl. */
export function isMac(userAgent: string = globalThis.navigator?.userAgent ?? ""): boolean {
  return /Mac|iPhone|iPad/.test(userAgent);
}

/** Every shortcut, as the `?` list shows them (⌘ for Ctrl on macOS). */
export function shortcuts(mac: boolean = isMac()): Shortcut[] {
  return [
    { keys: ["?"], description: "Show this list", scope: "Anywhere" },
    { keys: ["g", "e"], description: "Go to Environments", scope: "Anywhere" },
    { keys: ["g", "a"], description: "Go to Apps", scope: "Anywhere" },
    { keys: ["g", "s"], description: "Go to System", scope: "Anywhere" },
    {
      keys: [mac ? "⌘+Enter" : "Ctrl+Enter"],
      description: "Deploy",
      scope: "Environment screen",
    },
    {
      keys: ["1–5"],
      description: "Switch tabs (Timeline, Builds, Logs, Configuration, Variables)",
      scope: "Environment screen",
    },
    { keys: ["/"], description: "Search the log", scope: "Log view" },
    { keys: ["Esc"], description: "Close a dialog or a menu", scope: "Dialogs and menus" },
  ];
}

/** Input types that take no text: a key pressed on them is no typing. */
const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color"]);

/**
 * Whether the key goes to what the user is typing in (a field, a list to pick from, an editor),
 * so that no shortcut may take it.
 */
export function isTyping(event: Event): boolean {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  const field = target.closest(
    "input, textarea, select, [contenteditable]:not([contenteditable='false'])",
  );
  if (field === null) return false;
  return !(field instanceof HTMLInputElement && NOT_TEXT.has(field.type));
}

/**
 * Whether a one-key shortcut (`?`, `g e`, `1`) leaves this key alone: it is typed, held with
 * Ctrl, ⌘ or Alt (the platform's or the browser's), or pressed in a dialog, which has its own.
 */
export function ignoresKey(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return true;
  if (isTyping(event)) return true;
  return inDialog(event);
}

/** Whether a dialog is open (the key is the dialog's, whatever has the focus behind it). */
export function inDialog(event: Event): boolean {
  if (event.target instanceof Element && event.target.closest("dialog") !== null) return true;
  return typeof document !== "undefined" && document.querySelector("dialog[open]") !== null;
}

/** Where a `g` sequence stands: when its `g` was pressed, or null outside one. */
export interface GoState {
  since: number | null;
}

/**
 * The next step of the `g` sequences, given a key pressed at `now` (ms): `go` names the screen
 * when the key completes one (`g` then `e`, `a` or `s` within SEQUENCE_MS).
 */
export function goSequence(
  state: GoState,
  key: string,
  now: number,
): { state: GoState; go: Section | null } {
  if (state.since !== null && now - state.since <= SEQUENCE_MS) {
    const go = GO[key];
    if (go !== undefined) return { state: { since: null }, go };
  }
  return { state: { since: key === "g" ? now : null }, go: null };
}

/** The environment screen's tab a number key picks (1 is the first), if any. */
export function tabIndex(key: string, tabs: number): number | null {
  if (!/^[1-9]$/.test(key)) return null;
  const index = Number(key) - 1;
  return index < tabs ? index : null;
}

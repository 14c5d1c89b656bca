/** The inbox's keys: what each does, for the handler and for the help that lists them. */
export const SHORTCUTS = [
  { key: "j", command: "next", does: "Select the next lead" },
  { key: "k", command: "previous", does: "Select the previous lead" },
  { key: "a", command: "answer", does: "Mark the selected lead answered" },
  { key: "c", command: "close", does: "Close the selected lead" },
  { key: "Enter", command: "open", does: "Open the selected lead" },
  { key: "?", command: "help", does: "Show these shortcuts" },
] as const;
export type Shortcut = (typeof SHORTCUTS)[number]["command"];

/** Where a key belongs to what has focus: typing in a form field, or anything inside an open dialog. */
const OWN_KEYS = "input, textarea, select, [contenteditable]:not([contenteditable='false']), dialog[open]";

/**
 * The inbox command a key press asks for, or null: keys are ignored while typing in a field, with Ctrl, Alt or
 * Meta held (the browser's and the system's own shortcuts), and Enter keeps its own meaning on links, buttons and
 * summaries, so it opens the selected lead only when focus is on none of them.
 */
export function shortcut(event: KeyboardEvent): Shortcut | null {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey)
    return null;
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest(OWN_KEYS)) return null;
  const command = SHORTCUTS.find((s) => s.key === event.key)?.command ?? null;
  if (command === "open" && target?.closest("a, button, summary")) return null;
  return command;
}

// The player's keyboard shortcuts, as the "?" overlay lists them: which key does what,
// and which keys belong to the element that has the focus instead (typing in a field,
// pressing a button, moving a slider).

export type KeyAction =
  | { kind: "toggle" }
  | { kind: "seek"; by: number }
  | { kind: "jump"; fraction: number }
  | { kind: "fullscreen" }
  | { kind: "mute" }
  | { kind: "help" };

export interface KeyInput {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The shortcuts, for the help overlay. */
export const SHORTCUTS: ReadonlyArray<{ keys: string[]; what: string }> = [
  { keys: ["Space", "K"], what: "Play or pause" },
  { keys: ["←", "→"], what: "Back or forward 5 seconds" },
  { keys: ["J", "L"], what: "Back or forward 10 seconds" },
  { keys: ["0", "…", "9"], what: "Jump to 0% … 90% of the video" },
  { keys: ["F"], what: "Full screen" },
  { keys: ["M"], what: "Mute or unmute" },
  { keys: ["?"], what: "Show these shortcuts" },
];

/** What a key press does to the player; null for keys it leaves alone. */
export function keyAction(event: KeyInput): KeyAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null; // the browser's own
  const key = event.key;
  if (key === "?") return { kind: "help" };
  if (/^[0-9]$/.test(key)) return { kind: "jump", fraction: Number(key) / 10 };
  switch (key.length === 1 ? key.toLowerCase() : key) {
    case " ":
    case "Spacebar":
    case "k":
      return { kind: "toggle" };
    case "ArrowLeft":
      return { kind: "seek", by: -5 };
    case "ArrowRight":
      return { kind: "seek", by: 5 };
    case "j":
      return { kind: "seek", by: -10 };
    case "l":
      return { kind: "seek", by: 10 };
    case "f":
      return { kind: "fullscreen" };
    case "m":
      return { kind: "mute" };
    default:
      return null;
  }
}

/** What the handler needs to know of the element a key press comes from. */
export interface KeyTarget {
  tagName: string;
  type?: string;
  isContentEditable?: boolean;
  role?: string | null;
}

const TEXT_INPUTS = new Set(["", "text", "search", "email", "url", "tel", "password", "number", "date", "datetime-local", "month", "time", "week"]);

/** Typing into a field: no shortcut at all. */
export function isTyping(target: KeyTarget | null): boolean {
  if (!target) return false;
  const tag = target.tagName.toUpperCase();
  if (target.isContentEditable) return true;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") return TEXT_INPUTS.has((target.type ?? "").toLowerCase());
  const role = target.role ?? "";
  return role === "textbox" || role === "combobox" || role === "searchbox";
}

/**
 * The focused element handles this key itself: Space and Enter press a button, a link or a
 * checkbox; arrows move a range input or a listbox. (The seek bar, a slider, handles its
 * arrows like the shortcut does.)
 */
export function ownsKey(target: KeyTarget | null, key: string): boolean {
  if (!target) return false;
  if (isTyping(target)) return true;
  const tag = target.tagName.toUpperCase();
  const type = (target.type ?? "").toLowerCase();
  const role = target.role ?? "";
  if (key === " " || key === "Enter" || key === "Spacebar") {
    if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") return true;
    if (tag === "INPUT" && (type === "checkbox" || type === "radio" || type === "button" || type === "submit")) return true;
    return ["button", "link", "checkbox", "radio", "menuitem", "option", "switch", "tab"].includes(role);
  }
  if (key.startsWith("Arrow")) {
    if (tag === "INPUT" && (type === "range" || type === "radio")) return true;
    return ["listbox", "option", "radio", "radiogroup", "menu", "menuitem", "tablist", "tab"].includes(role);
  }
  return false;
}

/** The time a seek lands on, inside the video. */
export function seekTarget(current: number, by: number, duration: number): number {
  const end = Number.isFinite(duration) && duration > 0 ? duration : Infinity;
  return Math.min(end, Math.max(0, current + by));
}

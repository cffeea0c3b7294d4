// The settings editor's logic: what control each setting gets (by the type GET
// /admin/settings gives it, read from the setting's declaration on the server), how the
// control's state becomes the value to send, checked against the setting's type, choices
// and bounds first, and which field a refusal of PATCH /admin/settings is about.
import type { Schemas } from "../api/client";

/** One tunable setting, as GET /admin/settings gives it (settings.py `Setting`). */
export type Setting = Schemas["Setting"];
/** What the checks need of a setting: its type, items, choices, bounds. */
export type Form = Pick<
  Setting,
  "type" | "items" | "choices" | "minimum" | "maximum" | "exclusive_minimum" | "exclusive_maximum" | "nullable"
>;

export type SettingKind = "boolean" | "number" | "select" | "text" | "list" | "map";

/** The control a setting gets. */
export function kindOf(setting: Pick<Setting, "type">): SettingKind {
  switch (setting.type) {
    case "boolean":
      return "boolean";
    case "integer":
    case "number":
      return "number";
    case "enum":
      return "select";
    case "list":
      return "list";
    case "map":
      return "map";
    default:
      return "text"; // string, path
  }
}

/** What a field shows for a value: the text of its input, or its checkbox's state. */
export function toInput(value: unknown, kind: SettingKind): string | boolean {
  switch (kind) {
    case "boolean":
      return value === true;
    case "number":
      return typeof value === "number" ? String(value) : "";
    case "list":
      return Array.isArray(value) ? value.map(String).join("\n") : "";
    case "map":
      return typeof value === "object" && value !== null
        ? Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(", ")
        : "";
    default:
      return value === null || value === undefined ? "" : String(value);
  }
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const bad = (error: string): Parsed => ({ ok: false, error });

/** The range a number setting takes, for people: "1 to 100", "more than 0, at most 10". */
export function rangeText(form: Form): string {
  const { minimum: min, maximum: max } = form;
  if (min !== null && max !== null && !form.exclusive_minimum && !form.exclusive_maximum) return `${min} to ${max}`;
  const parts: string[] = [];
  if (min !== null) parts.push(`${form.exclusive_minimum ? "more than" : "at least"} ${min}`);
  if (max !== null) parts.push(`${form.exclusive_maximum ? "less than" : "at most"} ${max}`);
  return parts.join(", ");
}

/** A number for a setting (or a list's or map's item) of this type, checked. */
function parseNumber(raw: string, type: Setting["type"] | null, form: Form | null): Parsed {
  if (raw === "") return bad("enter a number");
  const value = Number(raw);
  if (!Number.isFinite(value)) return bad(`${raw} is not a number`);
  if (type === "integer" && !Number.isInteger(value)) return bad(`${raw} is not a whole number`);
  if (form !== null) {
    const { minimum: min, maximum: max } = form;
    const low = min !== null && (form.exclusive_minimum ? value <= min : value < min);
    const high = max !== null && (form.exclusive_maximum ? value >= max : value > max);
    if (low || high) return bad(`enter a number ${rangeText(form)}`);
  }
  return ok(value);
}

/** An item of a list or a value of a map, by the setting's `items` type. */
function parseItem(raw: string, form: Form): Parsed {
  if (form.items === "integer" || form.items === "number") return parseNumber(raw, form.items, null);
  if (form.items === "boolean") {
    if (raw === "true" || raw === "false") return ok(raw === "true");
    return bad(`${raw} is not true or false`);
  }
  return ok(raw);
}

/**
 * The value to send for what a field holds, checked as far as the setting's declaration
 * says (its type, choices and bounds). What only the server knows (settings that depend
 * on each other, folders) is the server's to check: its message is shown.
 */
export function fromInput(input: string | boolean, form: Form): Parsed {
  const kind = kindOf(form);
  if (kind === "boolean") return ok(input === true);
  const raw = typeof input === "string" ? input.trim() : String(input);
  if (raw === "" && form.nullable && kind !== "list" && kind !== "map") return ok(null);
  switch (kind) {
    case "number":
      return parseNumber(raw, form.type, form);
    case "select": {
      const choice = (form.choices ?? []).find((c) => String(c) === raw);
      if (choice === undefined) return bad(`choose one of ${(form.choices ?? []).map(String).join(", ")}`);
      return ok(choice);
    }
    case "list": {
      const value: unknown[] = [];
      for (const line of raw.split("\n").map((l) => l.trim()).filter(Boolean)) {
        const item = parseItem(line, form);
        if (!item.ok) return item;
        value.push(item.value);
      }
      return ok(value);
    }
    case "map": {
      // "scan=1, thumbnail=4" (the environment's form).
      const value: Record<string, unknown> = {};
      for (const part of raw.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
        const match = /^([\w.-]+)\s*[=:]\s*(.*)$/.exec(part);
        if (!match) return bad(`write name=value, e.g. ${form.items === "integer" ? "scan=1" : "name=value"}: not “${part}”`);
        const item = parseItem(match[2]!.trim(), form);
        if (!item.ok) return bad(`${match[1]}: ${item.error}`);
        value[match[1]!] = item.value;
      }
      return ok(value);
    }
    default:
      return ok(raw);
  }
}

/** Whether two values are the same setting (lists and maps by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

/**
 * The field a refusal names. PATCH /admin/settings answers 422 with "<key>: <why>"
 * (tunables.py TunableError), or "not a tunable setting: a, b".
 */
export function fieldError(message: string, keys: readonly string[]): { key: string; text: string } | null {
  const match = /^([a-z_][a-z0-9_]*):\s*(.+)$/is.exec(message.trim());
  if (match && keys.includes(match[1]!)) return { key: match[1]!, text: match[2]! };
  return null;
}

/** The setting's name for people: a few by hand, the rest from the key. */
const LABELS: Record<string, string> = {
  media_dir: "Library folders",
  thumbnails_ext: "Thumbnail format",
  thumbnail_size_small: "Small thumbnail size",
  thumbnail_size_medium: "Medium thumbnail size",
  thumbnail_size_large: "Large thumbnail size",
  video_sprites: "Seek-bar sprites",
  video_preview_frames: "Preview strips",
  watch: "Watch folders for changes",
  watch_debounce_ms: "Watch debounce (ms)",
  rescan_interval: "Full rescan interval (s)",
  job_max_attempts: "Job attempts",
  job_retry_delay: "Retry delay (s)",
  job_limits: "Concurrent jobs per kind",
};

export function labelOf(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const words = key.replace(/_/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

export const GROUPS = ["Library", "Thumbnails", "Video previews", "Watching and scanning", "Jobs", "Other"] as const;
export type Group = (typeof GROUPS)[number];

export function groupOf(key: string): Group {
  if (key === "media_dir") return "Library";
  if (key.startsWith("thumbnail")) return "Thumbnails";
  if (/^(video_|sprite_|preview_|teaser_)/.test(key)) return "Video previews";
  if (key.startsWith("watch") || key.startsWith("rescan")) return "Watching and scanning";
  if (key.startsWith("job_")) return "Jobs";
  return "Other";
}

/** The settings in their groups, in the server's order within each. */
export function grouped<T extends { key: string }>(settings: readonly T[]): [Group, T[]][] {
  const out = new Map<Group, T[]>();
  for (const group of GROUPS) out.set(group, []);
  for (const setting of settings) out.get(groupOf(setting.key))!.push(setting);
  return [...out].filter(([, members]) => members.length > 0);
}

/** A default as a short text: "default: 80", "default: on", "default: (none)". */
export function describeValue(value: unknown, kind: SettingKind): string {
  if (kind === "boolean") return value === true ? "on" : "off";
  const shown = toInput(value, kind);
  const text = typeof shown === "string" ? shown.replace(/\n/g, ", ") : String(shown);
  return text === "" ? "(none)" : text;
}

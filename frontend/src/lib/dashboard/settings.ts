// The settings editor's logic: what input each setting gets (by the type of its value:
// GET /admin/settings gives no schema), how the input's text becomes the value to send,
// and which field a refusal of PATCH /admin/settings is about.
import type { Setting } from "./types";

export type SettingKind = "boolean" | "number" | "text" | "list" | "map";

export function kindOf(setting: Pick<Setting, "value" | "default">): SettingKind {
  const sample = setting.value ?? setting.default;
  if (typeof sample === "boolean") return "boolean";
  if (typeof sample === "number") return "number";
  if (Array.isArray(sample)) return "list";
  if (typeof sample === "object" && sample !== null) return "map";
  return "text";
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

/**
 * The value to send for what a field holds. Only the shape is checked here (a number is
 * a number); ranges and choices are the server's to check: its message is shown.
 */
export function fromInput(input: string | boolean, kind: SettingKind): Parsed {
  if (kind === "boolean") return { ok: true, value: input === true };
  const raw = typeof input === "string" ? input.trim() : String(input);
  switch (kind) {
    case "number": {
      if (raw === "") return { ok: false, error: "enter a number" };
      const value = Number(raw);
      return Number.isFinite(value) ? { ok: true, value } : { ok: false, error: `${raw} is not a number` };
    }
    case "list":
      return {
        ok: true,
        value: raw
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean),
      };
    case "map": {
      // "scan=1, thumbnail=4" (the environment's form); anything else goes as it is
      // written, for the server to say what is wrong with it.
      const value: Record<string, number> = {};
      for (const part of raw.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
        const match = /^([\w.-]+)\s*[=:]\s*(-?\d+)$/.exec(part);
        if (!match) return { ok: true, value: raw };
        value[match[1]!] = Number(match[2]);
      }
      return { ok: true, value };
    }
    default:
      return { ok: true, value: raw };
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
export function grouped<T extends Pick<Setting, "key">>(settings: readonly T[]): [Group, T[]][] {
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

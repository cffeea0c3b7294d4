// Small pure helpers for tiles: the srcset of a thumbnail, a video's duration, the month a
// date falls in (the headings of a date-sorted view), counts.
import type { Thumbs } from "./items";

/** The long side of each thumbnail size when its URL does not say (the defaults). */
export const DEFAULT_SIZES = { small: 256, medium: 512, large: 1024 } as const;

/** The long side a thumbnail URL names (`…?v=512webpq80`), else the default. */
export function longSide(url: string, fallback: number): number {
  const m = /[?&]v=(\d{2,5})/.exec(url);
  return m ? Number(m[1]) : fallback;
}

/**
 * A `srcset` of the three thumbnails by their real widths: the long side is the size's,
 * so a portrait thumbnail is narrower than its size (`ratio` is width / height). With
 * `sizes` set to the tile's width, the browser picks by width and pixel ratio.
 */
export function srcset(thumbs: Thumbs, ratio: number, retry = ""): string {
  const widthOf = (url: string, fallback: number): number => {
    const side = longSide(url, fallback);
    return Math.max(1, Math.round(ratio >= 1 ? side : side * ratio));
  };
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const [url, fallback] of [
    [thumbs.small, DEFAULT_SIZES.small],
    [thumbs.medium, DEFAULT_SIZES.medium],
    [thumbs.large, DEFAULT_SIZES.large],
  ] as const) {
    if (seen.has(url)) continue;
    seen.add(url);
    parts.push(`${url}${retry} ${widthOf(url, fallback)}w`);
  }
  return parts.join(", ");
}

/** 75.4 -> "1:15"; 3725 -> "1:02:05". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** "2024-05-03T10:00:00" -> "2024-05" (the group of a date-sorted view); null if unreadable. */
export function monthKey(date: string): string | null {
  const m = /^(\d{4})-(\d{2})/.exec(date);
  return m ? `${m[1]}-${m[2]}` : null;
}

/** "2024-05" -> "May 2024" (in the browser's language). */
export function monthLabel(key: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return key;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, 1);
  if (Number.isNaN(date.getTime())) return key;
  return date.toLocaleDateString(undefined, { month: "long", year: "numeric" });
}

/** 1 -> "1 item", 12345 -> "12,345 items". */
export function itemCount(n: number): string {
  return `${n.toLocaleString()} item${n === 1 ? "" : "s"}`;
}

/** Which frame of a strip of `frames` a pointer at `fraction` (0…1) of the width shows. */
export function frameAt(fraction: number, frames: number): number {
  if (frames <= 1) return 0;
  return Math.min(frames - 1, Math.max(0, Math.floor(fraction * frames)));
}

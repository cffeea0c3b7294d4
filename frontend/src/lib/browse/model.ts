// What the browse pages and photosets read from the JSON API, read with care: these
// routes declare only "an object" in the schema, so every field is checked here and the
// pages get plain, typed values (a missing or odd field is null, never a crash).

type Json = Record<string, unknown>;

export function obj(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

export function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function id(value: unknown): number | null {
  const n = num(value);
  return n !== null && Number.isSafeInteger(n) && n >= 1 ? n : null;
}

const COLOR = /^#[0-9a-f]{6}$/i;

/** "#rrggbb", or null: anything else never reaches a style. */
export function color(value: unknown): string | null {
  const text = str(value);
  return text !== null && COLOR.test(text) ? text : null;
}

export interface Thumbs {
  small: string;
  medium: string;
  large: string;
}

export function thumbs(value: unknown): Thumbs | null {
  const t = obj(value);
  if (!t) return null;
  const small = str(t.small);
  const medium = str(t.medium) ?? small;
  const large = str(t.large) ?? medium;
  return small && medium && large ? { small, medium, large } : null;
}

export interface Named {
  id: number;
  name: string;
}

export function named(value: unknown): Named | null {
  const e = obj(value);
  const i = id(e?.id);
  const name = str(e?.name);
  return i !== null && name !== null ? { id: i, name } : null;
}

export function namedList(value: unknown): Named[] {
  return Array.isArray(value) ? value.map(named).filter((n): n is Named => n !== null) : [];
}

/** What a card shows before and while its picture loads. */
export interface Picture {
  /** The image URL; null: none (the placeholder stays). */
  src: string | null;
  /** The average colour, the placeholder's. */
  color: string | null;
  width: number | null;
  height: number | null;
}

export const NO_PICTURE: Picture = { src: null, color: null, width: null, height: null };

// -- tags, performers, studios ---------------------------------------------------------

export type NameKind = "tags" | "performers" | "studios";

export const KINDS: Record<NameKind, { one: string; title: string; param: string }> = {
  tags: { one: "tag", title: "Tags", param: "tag" },
  performers: { one: "performer", title: "Performers", param: "performer" },
  studios: { one: "studio", title: "Studios", param: "studio" },
};

export interface Entry {
  id: number;
  name: string;
  count: number;
  aliases: string[];
  category: string | null;
  picture: Picture;
}

/** An entry of a list: its picture is the chosen image (performers, studios) when it has
 * one, else the cover (its newest item). */
export function toEntry(value: unknown): Entry | null {
  const e = obj(value);
  const base = named(e);
  if (!e || !base) return null;
  const cover = obj(e.cover);
  const coverThumbs = thumbs(cover?.thumbnails);
  const image = str(e.image);
  const picture: Picture = {
    src: image ?? coverThumbs?.medium ?? null,
    color: color(cover?.color),
    // The chosen image's shape is not known; the card's box does not need it.
    width: image ? null : num(cover?.width),
    height: image ? null : num(cover?.height),
  };
  const aliases = Array.isArray(e.aliases) ? e.aliases.filter((a): a is string => typeof a === "string") : [];
  return { ...base, count: num(e.count) ?? 0, aliases, category: str(e.category), picture };
}

export function toEntries(value: unknown): Entry[] {
  return Array.isArray(value) ? value.map(toEntry).filter((e): e is Entry => e !== null) : [];
}

// -- items -----------------------------------------------------------------------------

export interface Item {
  id: number;
  /** Shown: the title when set, else the file name. */
  label: string;
  kind: string;
  width: number | null;
  height: number | null;
  color: string | null;
  thumbnails: Thumbs | null;
  original: string;
  /** Videos: seconds, once probed. */
  duration: number | null;
  /** In a photoset: the item's position. */
  position: number | null;
}

export function toItem(value: unknown): Item | null {
  const e = obj(value);
  const i = id(e?.id);
  if (!e || i === null) return null;
  const name = str(e.name) ?? `Item ${i}`;
  const title = str(e.title);
  return {
    id: i,
    label: title && title.trim() ? title : name,
    kind: str(e.kind) ?? "image",
    width: num(e.width),
    height: num(e.height),
    color: color(e.color),
    thumbnails: thumbs(e.thumbnails),
    original: str(e.original) ?? `/api/v1/items/${i}/original`,
    duration: num(obj(e.video)?.duration),
    position: num(e.position),
  };
}

export function toItems(value: unknown): Item[] {
  return Array.isArray(value) ? value.map(toItem).filter((e): e is Item => e !== null) : [];
}

export function itemPicture(item: Item, size: keyof Thumbs = "medium"): Picture {
  return { src: item.thumbnails?.[size] ?? null, color: item.color, width: item.width, height: item.height };
}

/** Where a tile goes: a video's watch page, an image's original. */
export function itemHref(item: Pick<Item, "id" | "kind" | "original">): string {
  return item.kind === "video" ? `/watch/${item.id}` : item.original;
}

/** "1:05", "1:02:03". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

// -- photosets -------------------------------------------------------------------------

export interface Photoset {
  id: number;
  name: string;
  year: number | null;
  /** ISO date-time, or null. */
  date: string | null;
  itemCount: number;
  cover: { id: number; picture: Picture } | null;
  tags: Named[];
  performers: Named[];
  studio: Named | null;
}

export interface PhotosetDetail extends Photoset {
  description: string;
  sourceUrl: string | null;
  originalFilename: string | null;
  coverItemId: number | null;
  items: Item[];
  itemsCursor: string | null;
}

export function toPhotoset(value: unknown): Photoset | null {
  const e = obj(value);
  const base = named(e);
  if (!e || !base) return null;
  const cover = obj(e.cover);
  const coverId = id(cover?.id);
  const coverThumbs = thumbs(cover?.thumbnails);
  return {
    ...base,
    year: num(e.year),
    date: str(e.date),
    itemCount: num(e.item_count) ?? 0,
    cover:
      coverId === null
        ? null
        : {
            id: coverId,
            // The list's cover carries no colour or size: the box is sized by the card.
            picture: { src: coverThumbs?.medium ?? null, color: color(cover?.color), width: null, height: null },
          },
    tags: namedList(e.tags),
    performers: namedList(e.performers),
    studio: named(e.studio),
  };
}

export function toPhotosets(value: unknown): Photoset[] {
  return Array.isArray(value) ? value.map(toPhotoset).filter((e): e is Photoset => e !== null) : [];
}

export function toPhotosetDetail(value: unknown): PhotosetDetail | null {
  const base = toPhotoset(value);
  const e = obj(value);
  if (!base || !e) return null;
  return {
    ...base,
    description: str(e.description) ?? "",
    sourceUrl: str(e.source_url),
    originalFilename: str(e.original_filename),
    coverItemId: id(e.cover_item_id),
    items: toItems(e.items),
    itemsCursor: str(e.items_next_cursor) || null,
  };
}

/** A URL fit for a link: http: or https: only (never javascript: and the like). */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** "1 item", "1,204 items". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/** A date-time from the API as "1 May 2024" (in UTC: the server keeps dates so). */
export function longDate(iso: string | null): string | null {
  if (!iso) return null;
  const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(d.getTime())) return null;
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

/** The date part ("2024-05-01") of an API date-time, for <input type="date">. */
export function dateInput(iso: string | null): string {
  return iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : "";
}

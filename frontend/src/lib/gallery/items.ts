// An item as the gallery keeps it: the few fields a tile, the selection and the bulk
// actions need, read with care from the API's JSON (GET /api/v1/items declares only "an
// object"). Keeping these instead of the whole answer keeps 100k items in tens of MB.

import type { LightboxItem } from "../lightbox/types";

export interface Thumbs {
  small: string;
  medium: string;
  large: string;
}

export interface Named {
  id: number;
  name: string;
}

export interface GalleryItem {
  id: number;
  name: string;
  /** Shown instead of the name when set. */
  title: string | null;
  path: string;
  folder: string;
  kind: string;
  /** Upright size; null when unknown (not read yet). */
  width: number | null;
  height: number | null;
  /** The average colour ("#rrggbb"): the placeholder while the thumbnail loads. */
  color: string | null;
  date: string;
  error: string | null;
  original: string;
  thumbnails: Thumbs | null;
  /** Videos: seconds, once probed. */
  duration: number | null;
  /** Videos: the preview strip (frames side by side) and how many frames it holds. */
  strip: string | null;
  stripFrames: number;
  /** Videos: the small teaser (a silent MP4 of short clips). */
  teaser: string | null;
  caption: string | null;
  favorite: boolean;
  /** Your own rating, 0-100 (a star is 20); null: not rated. */
  rating: number | null;
  tags: Named[];
}

type Json = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function obj(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

const COLOR = /^#[0-9a-f]{6}$/i;

function thumbs(value: unknown): Thumbs | null {
  const t = obj(value);
  if (!t) return null;
  const small = str(t.small);
  const medium = str(t.medium) ?? small;
  const large = str(t.large) ?? medium;
  return small && medium && large ? { small, medium, large } : null;
}

function named(value: unknown): Named[] {
  if (!Array.isArray(value)) return [];
  const out: Named[] = [];
  for (const entry of value) {
    const e = obj(entry);
    const id = num(e?.id);
    const name = str(e?.name);
    if (id !== null && name !== null) out.push({ id, name });
  }
  return out;
}

/** The gallery's item from one entry of the API's `items`; null if it is not one. */
export function toItem(raw: unknown): GalleryItem | null {
  const r = obj(raw);
  const id = num(r?.id);
  if (!r || id === null) return null;
  const name = str(r.name) ?? "";
  const video = obj(r.video);
  const previews = obj(r.previews);
  const rating = obj(r.rating);
  const color = str(r.color);
  return {
    id,
    name,
    title: str(r.title) || null,
    path: str(r.path) ?? name,
    folder: str(r.folder) ?? "",
    kind: str(r.kind) ?? "image",
    width: num(r.width),
    height: num(r.height),
    color: color && COLOR.test(color) ? color : null,
    date: str(r.date) ?? "",
    error: str(r.error) || null,
    original: str(r.original) ?? `/api/v1/items/${id}/original`,
    thumbnails: thumbs(r.thumbnails),
    duration: num(video?.duration),
    strip: str(previews?.strip),
    stripFrames: Math.max(0, Math.floor(num(previews?.strip_frames) ?? 0)),
    teaser: str(previews?.teaser_small) ?? str(previews?.teaser_large),
    caption: str(r.caption) || null,
    favorite: r.favorite === true,
    rating: num(rating?.mine),
    tags: named(r.tags),
  };
}

/** The items of a page of GET /api/v1/items, skipping anything that is not one. */
export function toItems(list: unknown): GalleryItem[] {
  if (!Array.isArray(list)) return [];
  const out: GalleryItem[] = [];
  for (const raw of list) {
    const item = toItem(raw);
    if (item) out.push(item);
  }
  return out;
}

/** What a tile is called: the title when set, else the file's name. */
export function label(item: GalleryItem): string {
  return item.title || item.name;
}

/** Width / height for the layout: from the upright size, else a guess by kind. */
export function aspect(item: Pick<GalleryItem, "width" | "height" | "kind">): number {
  const { width, height } = item;
  if (width && height && width > 0 && height > 0) return width / height;
  return item.kind === "video" ? 16 / 9 : 1;
}

/** Where a tile leads: a video's watch page, an image's original file. */
export function href(item: Pick<GalleryItem, "id" | "kind" | "original">): string {
  return item.kind === "video" ? `/watch/${item.id}` : item.original;
}

/** What the lightbox shows of an item. */
export function toLightbox(item: GalleryItem): LightboxItem {
  const { id, kind, width, height, color, thumbnails, original } = item;
  return { id, label: label(item), kind, width, height, color, thumbnails, original };
}

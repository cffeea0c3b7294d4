// An item as the watch page shows it, read with care from the API's JSON
// (GET /api/v1/items/{id} declares only "an object").

export interface Named {
  id: number;
  name: string;
}

export interface Thumbs {
  small: string | null;
  medium: string | null;
  large: string | null;
}

export type Playable = "direct" | "remux" | "transcode";

export interface VideoFacts {
  duration: number | null;
  container: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  fps: number | null;
  bitRate: number | null;
  audioChannels: number | null;
  /** How a browser gets it: the file as it is, or HLS (remuxed or transcoded). */
  playable: Playable;
  stream: string;
  hls: string;
}

export interface WatchItem {
  id: number;
  name: string;
  /** What the page calls it: the title when set, else the file's name. */
  heading: string;
  title: string | null;
  path: string;
  kind: string;
  size: number | null;
  width: number | null;
  height: number | null;
  color: string | null;
  date: string | null;
  takenAt: string | null;
  error: string | null;
  thumbnails: Thumbs | null;
  video: VideoFacts | null;
  /** The seek bar's sprite WebVTT, when made. */
  sprites: string | null;
  views: { count: number; lastViewedAt: string | null; position: number | null };
  rating: { average: number | null; count: number; mine: number | null };
  favorite: boolean;
  tags: Named[];
  performers: Named[];
  studio: Named | null;
  caption: string | null;
  /** Where the file came from: an http(s) URL, else null. */
  sourceUrl: string | null;
}

type Json = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function obj(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function one(value: unknown): Named | null {
  const e = obj(value);
  const id = num(e?.id);
  const name = str(e?.name);
  return id !== null && name !== null ? { id, name } : null;
}

function named(value: unknown): Named[] {
  return Array.isArray(value) ? value.map(one).filter((n): n is Named => n !== null) : [];
}

/** An http(s) URL as it is, else null: never a javascript: or data: link. */
export function httpUrl(value: unknown): string | null {
  const text = str(value)?.trim();
  if (!text || !/^https?:\/\//i.test(text)) return null;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

const PLAYABLE = new Set<string>(["direct", "remux", "transcode"]);
const COLOR = /^#[0-9a-f]{6}$/i;

function video(value: unknown): VideoFacts | null {
  const v = obj(value);
  const stream = str(v?.stream);
  const hls = str(v?.hls);
  if (!v || !stream || !hls) return null;
  const playable = str(v.playable);
  return {
    duration: num(v.duration),
    container: str(v.container),
    videoCodec: str(v.video_codec),
    audioCodec: str(v.audio_codec),
    fps: num(v.fps),
    bitRate: num(v.bit_rate),
    audioChannels: num(v.audio_channels),
    // Not told: HLS, which any probed video has.
    playable: playable && PLAYABLE.has(playable) ? (playable as Playable) : "transcode",
    stream,
    hls,
  };
}

/** The item JSON as the page uses it; null when it is not an item at all. */
export function readItem(json: unknown): WatchItem | null {
  const j = obj(json);
  const id = num(j?.id);
  if (!j || id === null) return null;
  const name = str(j.name) ?? `Item ${id}`;
  const title = str(j.title)?.trim() || null;
  const t = obj(j.thumbnails);
  const views = obj(j.views);
  const rating = obj(j.rating);
  const color = str(j.color);
  return {
    id,
    name,
    heading: title ?? name,
    title,
    path: str(j.path) ?? name,
    kind: str(j.kind) ?? "",
    size: num(j.size),
    width: num(j.width),
    height: num(j.height),
    color: color && COLOR.test(color) ? color : null,
    date: str(j.date),
    takenAt: str(j.taken_at),
    error: str(j.error),
    thumbnails: t ? { small: str(t.small), medium: str(t.medium), large: str(t.large) } : null,
    video: video(j.video),
    sprites: str(obj(j.previews)?.sprites),
    views: {
      count: num(views?.count) ?? 0,
      lastViewedAt: str(views?.last_viewed_at),
      position: num(views?.position),
    },
    rating: {
      average: num(rating?.average),
      count: num(rating?.count) ?? 0,
      mine: num(rating?.mine),
    },
    favorite: j.favorite === true,
    tags: named(j.tags),
    performers: named(j.performers),
    studio: one(j.studio),
    caption: str(j.caption),
    sourceUrl: httpUrl(j.source_url),
  };
}

/** The items of a list answer ({"items": [...]}), those that read. */
export function readItems(json: unknown): WatchItem[] {
  const list = obj(json)?.items;
  return Array.isArray(list) ? list.map(readItem).filter((i): i is WatchItem => i !== null) : [];
}

/** The item id in a watch page's path (`/watch/12`); null when there is none. */
export function itemIdFromPath(pathname: string): number | null {
  const m = /^\/watch\/(\d{1,18})\/?$/.exec(pathname);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : null;
}

/** The video's width / height for its box before it loads (16:9 when unknown). */
export function aspectRatio(item: Pick<WatchItem, "width" | "height"> | null): number {
  const w = item?.width;
  const h = item?.height;
  return w && h && w > 0 && h > 0 ? w / h : 16 / 9;
}

// The seek bar's sprite thumbnails: a WebVTT file whose cues name a tile of a sprite sheet,
// `sheet001.jpg#xywh=x,y,w,h` (media/video.py writes them), resolved against the VTT's
// own URL. Parsed once per page; `cueAt` finds the tile for a time.

export interface SpriteCue {
  /** Seconds: the cue covers [start, end). */
  start: number;
  end: number;
  /** The sheet's absolute URL. */
  url: string;
  /** The tile's place and size in the sheet, in pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
}

const STAMP = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;

/** "00:01:02.500" or "01:02.500" -> seconds; null when it is not a timestamp. */
export function parseTimestamp(text: string): number | null {
  const m = STAMP.exec(text.trim());
  if (!m) return null;
  const [, h, min, s] = m;
  const seconds = Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s);
  return Number.isFinite(seconds) ? seconds : null;
}

const XYWH = /^(?:pixel:)?(\d+),(\d+),(\d+),(\d+)$/;

/**
 * The cues of a sprite WebVTT, in time order. Cues without a pixel `#xywh=` fragment, with
 * an empty tile, or whose URL is not http(s) are left out, as is anything that does not
 * parse: a broken file gives fewer previews, never an error.
 */
export function parseSpriteVtt(text: string, base: string): SpriteCue[] {
  const cues: SpriteCue[] = [];
  const blocks = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split("\n").map((l) => l.trim());
    const arrow = lines.findIndex((l) => l.includes("-->"));
    const payload = arrow >= 0 ? lines[arrow + 1] : undefined;
    if (arrow < 0 || !payload) continue;
    const [left = "", right = ""] = lines[arrow]!.split("-->");
    const start = parseTimestamp(left);
    const end = parseTimestamp(right.trim().split(/\s+/)[0] ?? "");
    if (start === null || end === null || end <= start) continue;
    const hash = payload.indexOf("#xywh=");
    if (hash < 0) continue;
    const m = XYWH.exec(payload.slice(hash + 6));
    if (!m) continue;
    const [x, y, w, h] = m.slice(1).map(Number) as [number, number, number, number];
    if (w <= 0 || h <= 0) continue;
    let url: URL;
    try {
      url = new URL(payload.slice(0, hash), base);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    cues.push({ start, end, url: url.href, x, y, w, h });
  }
  return cues.sort((a, b) => a.start - b.start);
}

/** The cue showing at `t` seconds (the last one for a time past the end); null if none. */
export function cueAt(cues: readonly SpriteCue[], t: number): SpriteCue | null {
  if (!cues.length || !Number.isFinite(t)) return null;
  let lo = 0;
  let hi = cues.length - 1;
  if (t < cues[0]!.start) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cues[mid]!.start <= t) lo = mid;
    else hi = mid - 1;
  }
  const cue = cues[lo]!;
  const last = lo === cues.length - 1;
  return t < cue.end || last ? cue : null;
}

/** The CSS that shows a cue's tile: the sheet as a background, moved to the tile. */
export function tileStyle(cue: SpriteCue): { image: string; position: string; width: string; height: string } {
  return {
    image: `url("${cue.url}")`,
    position: `${-cue.x}px ${-cue.y}px`,
    width: `${cue.w}px`,
    height: `${cue.h}px`,
  };
}

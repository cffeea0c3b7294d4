// Words and numbers for the watch page: times, sizes, codecs, ratings.

/** 15 -> "00:15"; 3725 -> "01:02:05" (the seek bar's and the player's clock). */
export function clock(seconds: number): string {
  const s = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  const h = Math.floor(s / 3600);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (h ? `${pad(h)}:` : "") + `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** 75.4 -> "1:15"; 3725 -> "1:02:05" (tiles' durations). */
export function shortDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** 1536 -> "1.5 KB", in powers of 1024 as file managers do. */
export function fileSize(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${n >= 100 ? Math.round(n) : n.toFixed(1)} ${units[u]}`;
}

/** 4_200_000 -> "4.2 Mb/s". */
export function bitRate(bps: number | null): string {
  if (bps === null || !Number.isFinite(bps) || bps <= 0) return "";
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mb/s`;
  return `${Math.round(bps / 1e3)} kb/s`;
}

const CODECS: Record<string, string> = {
  h264: "H.264",
  hevc: "HEVC",
  h265: "HEVC",
  av1: "AV1",
  vp8: "VP8",
  vp9: "VP9",
  mpeg4: "MPEG-4",
  mpeg2video: "MPEG-2",
  prores: "ProRes",
  aac: "AAC",
  mp3: "MP3",
  opus: "Opus",
  vorbis: "Vorbis",
  ac3: "AC-3",
  eac3: "E-AC-3",
  flac: "FLAC",
  pcm_s16le: "PCM",
};

/** "h264" -> "H.264"; unknown names as they are. */
export function codecName(codec: string | null): string {
  if (!codec) return "";
  return CODECS[codec.toLowerCase()] ?? codec.toUpperCase();
}

/** 2 -> "stereo"; 6 -> "5.1". */
export function channels(n: number | null): string {
  if (!n) return "";
  return { 1: "mono", 2: "stereo", 6: "5.1", 8: "7.1" }[n] ?? `${n} channels`;
}

/** 29.97 -> "29.97 fps"; 25 -> "25 fps". */
export function frameRate(fps: number | null): string {
  if (!fps || !Number.isFinite(fps)) return "";
  return `${Number(fps.toFixed(2))} fps`;
}

/** 1920x1080 -> "1920 × 1080 (1080p)". */
export function resolution(width: number | null, height: number | null): string {
  if (!width || !height) return "";
  const short = Math.min(width, height);
  const names: Array<[number, string]> = [
    [2160, "4K"],
    [1440, "1440p"],
    [1080, "1080p"],
    [720, "720p"],
    [480, "480p"],
  ];
  const label = names.find(([px]) => short >= px * 0.95)?.[1];
  return `${width} × ${height}${label ? ` (${label})` : ""}`;
}

/** A rating 0-100 as stars (a star is 20), rounded to the half. */
export function stars(value: number | null): number {
  if (value === null || !Number.isFinite(value)) return 0;
  return Math.round(Math.min(100, Math.max(0, value)) / 10) / 2;
}

/** The rating value for n stars. */
export function starValue(n: number): number {
  return Math.min(5, Math.max(0, Math.round(n))) * 20;
}

/** "3 views · last 2 days ago"-style text for a date, relative to `now`. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const s = Math.max(0, Math.round((now - then) / 1000));
  const steps: Array<[number, string]> = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [30, "day"],
    [12, "month"],
    [Infinity, "year"],
  ];
  let n = s;
  for (const [size, unit] of steps) {
    if (n < size) {
      if (unit === "second") return "just now";
      return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
    }
    n = Math.floor(n / size);
  }
  return "";
}

/** The host a link goes to, for its text ("example.com"). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.replace(/^www\./, "");
  } catch {
    return url;
  }
}

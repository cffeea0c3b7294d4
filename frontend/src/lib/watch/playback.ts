// How a video is played: the file itself when the browser can ("direct"), else HLS made
// by the server (web/api/stream.py): through hls.js where the browser has Media Source
// Extensions (it seeks and recovers better), else the browser's own HLS (Safari on an
// iPhone). hls.js is loaded only then (lib/watch/hls.ts), never with the page.
import type { Playable } from "./item";

export type Mode = "direct" | "hls.js" | "hls" | "none";

export interface Abilities {
  /** MediaSource or ManagedMediaSource exists: hls.js can run. */
  mse: boolean;
  /** The video element plays HLS itself (canPlayType of the playlist type). */
  nativeHls: boolean;
}

/** The ways to try, best first: the next is tried when one cannot start. */
export function playbackPlan(playable: Playable, can: Abilities): Mode[] {
  const hls: Mode[] = [];
  if (can.mse) hls.push("hls.js");
  if (can.nativeHls) hls.push("hls");
  if (playable === "direct") return ["direct", ...hls];
  return hls.length ? hls : ["none"];
}

/** What the facts call the way it plays. */
export function modeLabel(mode: Mode, playable: Playable): string {
  if (mode === "direct") return "Original file";
  if (mode === "none") return "Cannot play here";
  const how = playable === "transcode" ? "transcoded" : playable === "remux" ? "remuxed" : "streamed";
  return `HLS, ${how}${mode === "hls.js" ? " (hls.js)" : ""}`;
}

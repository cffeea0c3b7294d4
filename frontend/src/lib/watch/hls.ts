// hls.js, loaded only for a video that needs it (a dynamic import: its own chunk, fetched
// on demand, so the page's own JavaScript stays small). The light build: HLS with one
// audio track and no DRM, subtitles or alternate renditions is all the server makes
// (media/hls.py). Its ESM build transmuxes on the page's thread (no worker to allow).
import type HlsType from "hls.js";

export interface HlsHandle {
  destroy(): void;
}

/**
 * Attach hls.js to the video, starting at `startPosition` seconds; null when it cannot run
 * here. `onFatal` hears a fatal error.
 */
export async function attachHls(
  video: HTMLVideoElement,
  url: string,
  onFatal: (details: string) => void,
  startPosition = 0,
): Promise<HlsHandle | null> {
  let Hls: typeof HlsType;
  try {
    ({ default: Hls } = (await import("hls.js/light")) as { default: typeof HlsType });
  } catch {
    return null;
  }
  if (!Hls.isSupported()) return null;
  const hls = new Hls({ maxBufferLength: 30, enableWorker: false, startPosition: startPosition > 0 ? startPosition : -1 });
  let recovered = false;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    // One try at recovering a media error (a decode hiccup) before giving up.
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
      recovered = true;
      hls.recoverMediaError();
      return;
    }
    onFatal(data.details);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return hls;
}

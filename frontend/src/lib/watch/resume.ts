// Where a video starts: where this user left it (item.views.position), unless that was
// at the very start or so near the end that the video counts as watched.

/** Less than this far in (seconds) is starting over. */
export const MIN_RESUME = 5;
/** Past this share of the video, it was watched to the end: start over. */
export const WATCHED = 0.95;

/** The time to start at: the last position, or 0. */
export function resumeAt(position: number | null | undefined, duration: number | null | undefined): number {
  if (typeof position !== "number" || !Number.isFinite(position) || position < MIN_RESUME) return 0;
  if (typeof duration === "number" && Number.isFinite(duration) && duration > 0) {
    if (position >= duration * WATCHED || position >= duration - 1) return 0;
  }
  return position;
}

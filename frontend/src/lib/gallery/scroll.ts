// Where the gallery was scrolled to, kept in its history entry's state: back from the
// watch page, or back and forward between views, it scrolls there again.

export function saveScroll(): void {
  const state = (history.state ?? {}) as Record<string, unknown>;
  history.replaceState({ ...state, scrollY: window.scrollY }, "");
}

let timer: ReturnType<typeof setTimeout> | undefined;

/** While scrolling: saved once it rests a moment. */
export function saveScrollSoon(): void {
  clearTimeout(timer);
  timer = setTimeout(saveScroll, 250);
}

/** Where this history entry was scrolled to, if anywhere but the top. */
export function wantedScroll(): number | null {
  const y = (history.state as { scrollY?: unknown } | null)?.scrollY;
  return typeof y === "number" && y > 0 ? y : null;
}

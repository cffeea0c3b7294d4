// The live stream (GET /api/v1/events, Server-Sent Events): library changes (a scan found
// new, changed, moved or missing files) and jobs finishing (late thumbnails and previews).
// The browser's EventSource reconnects by itself and resumes where it left off.

export interface LibraryChange {
  new: number;
  changed: number;
  moved: number;
  missing: number;
}

export interface JobChange {
  kind: string;
  status: string;
}

export interface LiveHandlers {
  library: (change: LibraryChange) => void;
  job: (change: JobChange) => void;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Parse an event's data; null if it is not a JSON object. */
export function eventData(text: string): Record<string, unknown> | null {
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === "object" && data !== null ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function libraryChange(text: string): LibraryChange | null {
  const d = eventData(text);
  if (!d) return null;
  return { new: count(d.new), changed: count(d.changed), moved: count(d.moved), missing: count(d.missing) };
}

export function jobChange(text: string): JobChange | null {
  const d = eventData(text);
  if (!d || typeof d.kind !== "string" || typeof d.status !== "string") return null;
  return { kind: d.kind, status: d.status };
}

/** Follow the stream; the function it answers stops following. */
export function follow(handlers: LiveHandlers, url = "/api/v1/events"): () => void {
  if (typeof EventSource === "undefined") return () => {};
  const source = new EventSource(url);
  source.addEventListener("library", (e) => {
    const change = libraryChange((e as MessageEvent<string>).data);
    if (change) handlers.library(change);
  });
  source.addEventListener("job", (e) => {
    const change = jobChange((e as MessageEvent<string>).data);
    if (change) handlers.job(change);
  });
  return () => source.close();
}

/** What a page showing items refreshes: its list (the library changed), failed thumbnails
 * (try again: more were made), items that had no thumbnail yet (fetch them again). */
export type Refresh = "library" | "thumbnails" | "bare";

/** How long each refresh waits for the events to settle (a scan sends many). */
export const SETTLE: Record<Refresh, number> = { library: 800, thumbnails: 700, bare: 1000 };

export function libraryRefreshes(change: LibraryChange): Refresh[] {
  return change.new || change.changed || change.moved || change.missing ? ["library"] : [];
}

export function jobRefreshes(change: JobChange): Refresh[] {
  if (change.status !== "done") return [];
  if (change.kind === "thumbnail") return ["thumbnails", "bare"];
  if (change.kind === "probe") return ["bare"];
  return [];
}

/** Follow the stream, each refresh once the events asking for it have settled; the
 * function it answers stops following (and the refreshes still waiting). */
export function followRefreshes(refresh: Record<Refresh, () => void>, url?: string): () => void {
  const timers = new Map<Refresh, ReturnType<typeof setTimeout>>();
  const ask = (list: Refresh[]): void => {
    for (const what of list) {
      clearTimeout(timers.get(what));
      timers.set(
        what,
        setTimeout(() => refresh[what](), SETTLE[what]),
      );
    }
  };
  const stop = follow({ library: (c) => ask(libraryRefreshes(c)), job: (c) => ask(jobRefreshes(c)) }, url);
  return () => {
    stop();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}

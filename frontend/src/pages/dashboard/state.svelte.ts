// What the dashboard's sections share: the server's health, the library roots and the
// scan, the queue, the live stream (and who listens to it), the activity feed and the
// notices. The logic lives in lib/dashboard (tested); this holds it in Svelte state.
import { api, ApiError } from "../../lib/api/client";
import {
  activityFor,
  applyToScan,
  refreshFor,
  scanFromJob,
  scanFromSnapshot,
  type Activity,
  type LiveEvent,
  type ScanView,
} from "../../lib/dashboard/live";
import { readHealth, readLibraries, readQueue } from "../../lib/dashboard/read";
import { LiveStream, type Connection } from "../../lib/dashboard/stream";
import type { Health, Libraries, Library, Queue } from "../../lib/dashboard/types";

export type Tone = "info" | "ok" | "warn" | "error";

export interface Notice {
  id: number;
  text: string;
  tone: Tone;
}

export interface ActivityLine extends Activity {
  id: number;
  at: Date;
}

/** The API refused this visitor for want of the admin permission. */
export function isForbidden(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && /permission/.test(err.message);
}

/** A readable sentence for any failure. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

const FEED = 60; // lines kept in the activity feed
// A web worker sees a change of the library roots up to 2 s after another made it
// (tunables.LiveSettings.ttl): the roots are read once more after this long.
const SETTLE_MS = 2500;

export class DashboardState {
  health: Health | null = $state(null);
  healthError: string | null = $state(null);
  libraries: Library[] = $state([]);
  librariesLoaded = $state(false);
  librariesError: string | null = $state(null);
  scan: ScanView | null = $state(null);
  queue: Queue | null = $state(null);
  queueError: string | null = $state(null);
  connection: Connection = $state("connecting");
  activity: ActivityLine[] = $state([]);
  notices: Notice[] = $state([]);
  /** The API refused this visitor (403): not an admin. */
  forbidden = $state(false);

  private seq = 0;
  private stream: LiveStream | null = null;
  private listeners = new Set<(event: LiveEvent) => void>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();

  start(): void {
    this.stream = new LiveStream({
      onEvent: (event) => this.receive(event),
      onOpen: () => this.refreshAll(),
      onState: (state) => (this.connection = state),
    });
    this.stream.start();
    this.refreshAll();
  }

  stop(): void {
    this.stream?.stop();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Listen to the live events (a section while it is shown); returns the way to stop. */
  listen(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(text: string, tone: Tone = "info"): void {
    const id = ++this.seq;
    this.notices = [...this.notices, { id, text, tone }].slice(-4);
    setTimeout(() => this.dismiss(id), tone === "error" ? 10_000 : 5_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** A failed request: forbidden for good, or a notice. */
  fail(err: unknown, doing = ""): void {
    if (isForbidden(err)) {
      this.forbidden = true;
      return;
    }
    this.notify(doing ? `${doing}: ${messageOf(err)}` : messageOf(err), "error");
  }

  refreshAll(): void {
    void this.loadHealth();
    void this.loadLibraries();
    void this.loadQueue();
  }

  async loadHealth(): Promise<void> {
    try {
      this.health = readHealth(await api.get("/api/v1/health"));
      this.healthError = null;
    } catch (err) {
      this.health = null;
      this.healthError =
        err instanceof ApiError && err.status === 503
          ? "The server is up but cannot reach its database."
          : messageOf(err);
    }
  }

  async loadLibraries(): Promise<void> {
    try {
      this.showLibraries(readLibraries(await api.get("/api/v1/admin/libraries")));
      this.librariesError = null;
    } catch (err) {
      if (isForbidden(err)) this.forbidden = true;
      this.librariesError = messageOf(err);
    }
  }

  showLibraries(answer: Libraries): void {
    this.libraries = answer.libraries;
    this.librariesLoaded = true;
    const pending = answer.scan ?? (answer.job && ["queued", "running"].includes(answer.job.status) ? answer.job : null);
    this.scan = scanFromSnapshot(this.scan, pending);
  }

  /** After adding or removing a root: read them again once every web worker knows. */
  settleLibraries(): void {
    this.later("settle", SETTLE_MS, () => void this.loadLibraries());
  }

  async loadQueue(): Promise<void> {
    try {
      this.queue = readQueue(await api.get("/api/v1/admin/queue"));
      this.queueError = null;
    } catch (err) {
      if (isForbidden(err)) this.forbidden = true;
      this.queueError = messageOf(err);
    }
  }

  /** A scan that was just asked for (202), shown until the stream takes over. */
  scanStarted(job: unknown): void {
    const answer = readLibraries({ libraries: [], scan: job });
    if (answer.scan && (this.scan === null || this.scan.id <= answer.scan.id)) {
      this.scan = this.scan?.id === answer.scan.id ? this.scan : scanFromJob(answer.scan);
    }
  }

  private receive(event: LiveEvent): void {
    this.scan = applyToScan(this.scan, event);
    if (event.type === "jobs" && event.paused !== null && this.queue) {
      this.queue = { ...this.queue, paused: event.paused };
    }
    const line = activityFor(event);
    if (line) this.activity = [{ ...line, id: ++this.seq, at: new Date() }, ...this.activity].slice(0, FEED);
    const wanted = refreshFor(event);
    if (wanted.queue) this.later("queue", 400, () => void this.loadQueue());
    if (wanted.libraries) this.later("libraries", 400, () => void this.loadLibraries());
    for (const listener of this.listeners) listener(event);
  }

  /** Run `fn` in `ms`, once however often asked meanwhile. */
  private later(name: string, ms: number, fn: () => void): void {
    if (this.timers.has(name)) return;
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, ms),
    );
  }
}

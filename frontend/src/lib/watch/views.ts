// Recording views (POST /api/v1/items/{id}/views {"position", "count"}): the first play of
// a play session counts a view; then, while it plays, the position is reported every
// REPORT_EVERY ms, and again on pause, on a seek while paused, at the end and when the
// page is hidden or left (with `keepalive`, so the request outlives the page).
//
// The server answers 503 with Retry-After while its database is busy: the report is kept
// and sent again later, quietly (a counted view stays counted: it is merged into the next
// report). Nothing here touches the page: the sender and the clock are given, for tests.

/** How often a playing video reports its position, in ms. */
export const REPORT_EVERY = 10_000;
/** Retry delays without a Retry-After: doubled from MIN_RETRY to MAX_RETRY, in ms. */
export const MIN_RETRY = 2_000;
export const MAX_RETRY = 60_000;

export interface ViewReport {
  position: number;
  count: boolean;
}

/** What a send came to: done, to be tried again (after `retryAfter` ms, or a back-off), or given up. */
export type SendResult = { ok: true } | { ok: false; retry: boolean; retryAfter?: number | null };

export type Sender = (report: ViewReport, options: { keepalive: boolean }) => Promise<SendResult>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A Retry-After header's delay in ms (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null || !header.trim()) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, when - now);
}

/** A position fit to send: finite, not negative, rounded to the millisecond. */
function clean(position: number): number {
  return Number.isFinite(position) && position > 0 ? Math.round(position * 1000) / 1000 : 0;
}

export class ViewReporter {
  /** This play session's view is counted (sent, or waiting to be). */
  private counted = false;
  private pending: ViewReport | null = null;
  private inFlight = false;
  private retryTimer: unknown = null;
  private retryDelay = 0;
  private lastQueued = -Infinity;
  private stopped = false;
  private lastHidden: number | null = null;

  constructor(
    private readonly send: Sender,
    private readonly clock: Clock = realClock,
  ) {}

  /** The video started or went on playing ('playing'): the first time in a session counts. */
  playing(position: number): void {
    if (this.counted) return;
    this.counted = true;
    this.queue({ position: clean(position), count: true });
  }

  /** Time passes while playing ('timeupdate'): a position report every REPORT_EVERY ms. */
  progress(position: number): void {
    if (this.clock.now() - this.lastQueued >= REPORT_EVERY) {
      this.queue({ position: clean(position), count: false });
    }
  }

  /** Paused, or seeked while paused: where it stands now. */
  paused(position: number): void {
    this.queue({ position: clean(position), count: false });
  }

  /** Played to the end: reported, and the next play is a new session (counted again). */
  ended(position: number): void {
    this.queue({ position: clean(position), count: false });
    this.counted = false;
  }

  /** The page is hidden or left: send what there is now, with keepalive. */
  hidden(position: number, playedSomething: boolean): void {
    if (!playedSomething && !this.pending) return;
    const report = this.merge(this.pending, { position: clean(position), count: false });
    // 'visibilitychange' and 'pagehide' both come when a page is left: one report.
    if (!report.count && report.position === this.lastHidden) return;
    this.lastHidden = report.position;
    this.pending = null;
    this.cancelRetry();
    this.lastQueued = this.clock.now();
    void this.send(report, { keepalive: true }).then(
      (result) => {
        if (!result.ok && result.retry) this.requeue(report, result.retryAfter ?? null);
      },
      () => undefined,
    );
  }

  /** Stop retrying (the page is going away for good). */
  stop(): void {
    this.stopped = true;
    this.cancelRetry();
  }

  /** What is waiting to be sent (for tests). */
  get waiting(): ViewReport | null {
    return this.pending;
  }

  private merge(older: ViewReport | null, newer: ViewReport): ViewReport {
    return { position: newer.position, count: newer.count || (older?.count ?? false) };
  }

  private queue(report: ViewReport): void {
    this.lastHidden = null;
    this.pending = this.merge(this.pending, report);
    this.lastQueued = this.clock.now();
    this.flush();
  }

  private requeue(report: ViewReport, retryAfter: number | null): void {
    // A newer position wins, but a count that did not get through is kept.
    this.pending = this.pending ? { ...this.pending, count: this.pending.count || report.count } : report;
    this.retryDelay = Math.min(MAX_RETRY, Math.max(MIN_RETRY, this.retryDelay * 2));
    const delay = retryAfter !== null ? Math.min(MAX_RETRY, Math.max(retryAfter, 250)) : this.retryDelay;
    this.cancelRetry();
    if (this.stopped) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.flush();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private flush(): void {
    if (this.inFlight || this.retryTimer !== null || !this.pending || this.stopped) return;
    const report = this.pending;
    this.pending = null;
    this.inFlight = true;
    this.send(report, { keepalive: false })
      .catch((): SendResult => ({ ok: false, retry: true }))
      .then((result) => {
        this.inFlight = false;
        if (result.ok) {
          this.retryDelay = 0;
          this.flush();
        } else if (result.retry) {
          this.requeue(report, result.retryAfter ?? null);
        } else {
          this.flush();
        }
      });
  }
}

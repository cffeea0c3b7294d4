// The dashboard's line to GET /api/v1/events. The browser's EventSource reconnects by
// itself after a drop, sending the last id it saw (Last-Event-ID), so no event is missed;
// when it gives up (the server refused the stream: a restart, a lost login), this opens
// a new one with ?since=<last id> after a pause. Every (re)connection is reported, so
// that the page can read its snapshots again: the stream only carries what changes.
import { EVENT_TYPES, parseEvent, type LiveEvent } from "./live";

export type Connection = "connecting" | "live" | "reconnecting";

/** What this module needs of an EventSource (a fake one in the tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface StreamOptions {
  url?: string;
  /** Every event this page knows, in order. */
  onEvent: (event: LiveEvent) => void;
  /** Connected (first time or again): the page reads its snapshots. */
  onOpen: () => void;
  onState: (state: Connection) => void;
  open?: (url: string) => EventSourceLike;
  /** ms before a new stream, after the browser gave up on one. */
  retryMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

const CLOSED = 2;

export class LiveStream {
  private source: EventSourceLike | null = null;
  private lastId: string | null = null;
  private timer: unknown = null;
  private stopped = false;
  private readonly url: string;
  private readonly open: (url: string) => EventSourceLike;
  private readonly retryMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;

  constructor(private readonly options: StreamOptions) {
    this.url = options.url ?? "/api/v1/events";
    this.open = options.open ?? ((url) => new EventSource(url) as EventSourceLike);
    this.retryMs = options.retryMs ?? 5000;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  }

  /** The id of the last event received: where a new stream resumes. */
  get last(): string | null {
    return this.lastId;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.source?.close();
    this.source = null;
  }

  private connect(): void {
    this.options.onState(this.lastId === null ? "connecting" : "reconnecting");
    const url = this.lastId === null ? this.url : `${this.url}?since=${encodeURIComponent(this.lastId)}`;
    const source = this.open(url);
    this.source = source;
    source.onopen = () => {
      this.options.onState("live");
      this.options.onOpen();
    };
    source.onerror = () => {
      if (this.stopped || this.source !== source) return;
      if (source.readyState === CLOSED) {
        // The browser gave up (an HTTP error): try again ourselves, from the last id.
        source.close();
        this.source = null;
        this.options.onState("reconnecting");
        this.timer = this.setTimer(() => {
          this.timer = null;
          if (!this.stopped) this.connect();
        }, this.retryMs);
      } else {
        this.options.onState("reconnecting"); // the browser reconnects by itself
      }
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (this.source !== source) return;
        if (message.lastEventId) this.lastId = message.lastEventId;
        const event = parseEvent(type, message.data);
        if (event) this.options.onEvent(event);
      });
    }
  }
}

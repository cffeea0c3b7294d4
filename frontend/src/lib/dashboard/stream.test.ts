import { describe, expect, it } from "vitest";
import type { LiveEvent } from "./live";
import { LiveStream, type Connection, type EventSourceLike } from "./stream";

class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  emit(type: string, data: object, id: string): void {
    const message = { data: JSON.stringify(data), lastEventId: id } as MessageEvent<string>;
    for (const listener of this.listeners.get(type) ?? []) listener(message);
  }
}

function setup() {
  const sources: FakeSource[] = [];
  const events: LiveEvent[] = [];
  const states: Connection[] = [];
  const timers: (() => void)[] = [];
  let opens = 0;
  const stream = new LiveStream({
    onEvent: (e) => events.push(e),
    onOpen: () => opens++,
    onState: (s) => states.push(s),
    open: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  });
  return { stream, sources, events, states, timers, opens: () => opens };
}

describe("LiveStream", () => {
  it("passes the events on and reports the connection", () => {
    const { stream, sources, events, states, opens } = setup();
    stream.start();
    expect(sources[0]!.url).toBe("/api/v1/events");
    sources[0]!.readyState = 1;
    sources[0]!.onopen?.(new Event("open"));
    sources[0]!.emit("job", { id: 4, kind: "scan", status: "running" }, "17");
    sources[0]!.emit("progress", { id: 4, progress: 0.5 }, "18");
    expect(events.map((e) => e.type)).toEqual(["job", "progress"]);
    expect(stream.last).toBe("18");
    expect(states).toEqual(["connecting", "live"]);
    expect(opens()).toBe(1);
  });

  it("lets the browser reconnect by itself, and reads the snapshots again when it has", () => {
    const { stream, sources, states, opens } = setup();
    stream.start();
    sources[0]!.onopen?.(new Event("open"));
    sources[0]!.onerror?.(new Event("error")); // readyState 0: the browser retries
    expect(states.at(-1)).toBe("reconnecting");
    expect(sources).toHaveLength(1);
    sources[0]!.onopen?.(new Event("open"));
    expect(states.at(-1)).toBe("live");
    expect(opens()).toBe(2);
  });

  it("opens a new stream from the last id when the browser gives up", () => {
    const { stream, sources, timers } = setup();
    stream.start();
    sources[0]!.emit("job", { id: 1, kind: "scan", status: "queued" }, "41");
    sources[0]!.readyState = 2;
    sources[0]!.onerror?.(new Event("error"));
    expect(sources[0]!.closed).toBe(true);
    expect(timers).toHaveLength(1);
    timers[0]!();
    expect(sources[1]!.url).toBe("/api/v1/events?since=41");
  });

  it("stops for good", () => {
    const { stream, sources, events } = setup();
    stream.start();
    stream.stop();
    expect(sources[0]!.closed).toBe(true);
    sources[0]!.emit("job", { id: 1, kind: "scan", status: "queued" }, "1");
    expect(events).toEqual([]);
  });
});

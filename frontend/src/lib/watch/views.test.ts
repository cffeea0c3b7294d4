import { describe, expect, it } from "vitest";
import { MIN_RETRY, REPORT_EVERY, retryAfterMs, ViewReporter, type Clock, type SendResult, type ViewReport } from "./views";

/** A clock whose time and timers move only when told. */
class FakeClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at <= this.t) {
        this.timers.delete(id);
        timer.fn();
      }
    }
    await settle();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

interface Sent extends ViewReport {
  keepalive: boolean;
}

function setup(answers: SendResult[] = []) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  const reporter = new ViewReporter(async (report, { keepalive }) => {
    sent.push({ ...report, keepalive });
    return answers.shift() ?? { ok: true };
  }, clock);
  return { clock, sent, reporter };
}

describe("ViewReporter", () => {
  it("counts the first play of a session once, then reports the position every 10 s", async () => {
    const { clock, sent, reporter } = setup();
    reporter.playing(0);
    await settle();
    reporter.playing(0.4); // 'playing' again after buffering: not a new view
    for (let s = 1; s <= 25; s++) {
      await clock.advance(1000);
      reporter.progress(s);
    }
    expect(sent).toEqual([
      { position: 0, count: true, keepalive: false },
      { position: 10, count: false, keepalive: false },
      { position: 20, count: false, keepalive: false },
    ]);
  });

  it("reports on pause, and counts again after the end", async () => {
    const { sent, reporter } = setup();
    reporter.playing(0);
    await settle();
    reporter.paused(12.3456);
    await settle();
    reporter.playing(12.3456); // resumed: the same session
    await settle();
    reporter.ended(30);
    await settle();
    reporter.playing(0); // played again: a new view
    await settle();
    expect(sent.map(({ position, count }) => [position, count])).toEqual([
      [0, true],
      [12.346, false],
      [30, false],
      [0, true],
    ]);
  });

  it("sends one request at a time, the newest position", async () => {
    const clock = new FakeClock();
    const sent: ViewReport[] = [];
    const answers: Array<(r: SendResult) => void> = [];
    const reporter = new ViewReporter(
      (report) =>
        new Promise<SendResult>((resolve) => {
          sent.push(report);
          answers.push(resolve);
        }),
      clock,
    );
    reporter.playing(0);
    reporter.paused(3);
    reporter.paused(4);
    expect(sent).toEqual([{ position: 0, count: true }]);
    answers.shift()!({ ok: true });
    await settle();
    expect(sent).toEqual([
      { position: 0, count: true },
      { position: 4, count: false },
    ]);
  });

  it("retries quietly after Retry-After while the database is busy, keeping the count", async () => {
    const { clock, sent, reporter } = setup([{ ok: false, retry: true, retryAfter: 3000 }]);
    reporter.playing(1);
    await settle();
    expect(sent).toHaveLength(1);
    reporter.paused(2); // waits for the retry
    await settle();
    expect(sent).toHaveLength(1);
    expect(reporter.waiting).toEqual({ position: 2, count: true });
    await clock.advance(2999);
    expect(sent).toHaveLength(1);
    await clock.advance(1);
    expect(sent.at(-1)).toEqual({ position: 2, count: true, keepalive: false });
    expect(reporter.waiting).toBeNull();
  });

  it("backs off without a Retry-After, and gives up on a refusal", async () => {
    const { clock, sent, reporter } = setup([
      { ok: false, retry: true },
      { ok: false, retry: true },
      { ok: false, retry: false },
    ]);
    reporter.playing(1);
    await settle();
    await clock.advance(MIN_RETRY);
    expect(sent).toHaveLength(2);
    await clock.advance(MIN_RETRY); // the second delay is twice as long
    expect(sent).toHaveLength(2);
    await clock.advance(MIN_RETRY);
    expect(sent).toHaveLength(3);
    expect(reporter.waiting).toBeNull();
    expect(clock.pendingTimers).toBe(0);
  });

  it("retries a send that threw (the network)", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const reporter = new ViewReporter(async () => {
      calls++;
      if (calls === 1) throw new Error("offline");
      return { ok: true };
    }, clock);
    reporter.playing(1);
    await settle();
    await clock.advance(MIN_RETRY);
    expect(calls).toBe(2);
  });

  it("sends what it has with keepalive when the page is hidden", async () => {
    const { clock, sent, reporter } = setup([{ ok: false, retry: true, retryAfter: 5000 }]);
    reporter.playing(1);
    await settle();
    reporter.hidden(7, true);
    await settle();
    expect(sent.at(-1)).toEqual({ position: 7, count: true, keepalive: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it("sends one report when the page is both hidden and left", async () => {
    const { sent, reporter } = setup();
    reporter.playing(1);
    reporter.paused(7);
    await settle();
    reporter.hidden(7, true);
    reporter.hidden(7, true);
    await settle();
    expect(sent.filter((s) => s.keepalive)).toEqual([{ position: 7, count: false, keepalive: true }]);
  });

  it("sends nothing on hiding a page that played nothing", async () => {
    const { sent, reporter } = setup();
    reporter.hidden(0, false);
    await settle();
    expect(sent).toEqual([]);
  });

  it("stops retrying once stopped", async () => {
    const { clock, sent, reporter } = setup([{ ok: false, retry: true, retryAfter: 1000 }]);
    reporter.playing(1);
    await settle();
    reporter.stop();
    await clock.advance(REPORT_EVERY);
    expect(sent).toHaveLength(1);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates", () => {
    expect(retryAfterMs("1")).toBe(1000);
    expect(retryAfterMs(" 30 ")).toBe(30000);
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
  });
  it("has none when absent or unreadable", () => {
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs("")).toBeNull();
    expect(retryAfterMs("soon")).toBeNull();
  });
});

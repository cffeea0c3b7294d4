import { describe, expect, it } from "vitest";
import { mayAdminister } from "./admin";
import { count, duration, parseTime, percent, relativeTime } from "./format";
import { readJobPage, readLibraries, readQueue } from "./read";
import { hashFor, tabFromHash } from "./tabs";

describe("tabs in the URL", () => {
  it("reads the hash, whatever its case, and falls back to the overview", () => {
    expect(tabFromHash("#jobs")).toBe("jobs");
    expect(tabFromHash("#Settings")).toBe("settings");
    expect(tabFromHash("")).toBe("overview");
    expect(tabFromHash("#nope")).toBe("overview");
    expect(hashFor("users")).toBe("#users");
  });
});

describe("format", () => {
  const now = new Date("2026-01-10T12:00:00Z");

  it("reads the server's offset-less times as UTC", () => {
    expect(parseTime("2026-01-10T11:00:00")?.toISOString()).toBe("2026-01-10T11:00:00.000Z");
    expect(parseTime("2026-01-10T11:00:00+00:00")?.toISOString()).toBe("2026-01-10T11:00:00.000Z");
    expect(parseTime(null)).toBeNull();
    expect(parseTime("garbage")).toBeNull();
  });

  it("says how long ago", () => {
    expect(relativeTime("2026-01-10T11:59:50", now)).toBe("just now");
    expect(relativeTime("2026-01-10T11:55:00", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-01-08T12:00:00", now)).toBe("2 days ago");
    expect(relativeTime(null, now)).toBe("never");
  });

  it("formats counts, durations and percentages", () => {
    expect(count(12345)).toBe("12,345");
    expect(duration("2026-01-10T11:59:58", "2026-01-10T12:00:00.500")).toBe("2.5 s");
    expect(duration("2026-01-10T11:57:55", "2026-01-10T12:00:00")).toBe("2 min 5 s");
    expect(duration(null, null)).toBe("");
    expect(percent(0.426)).toBe("43%");
    expect(percent(3)).toBe("100%");
  });
});

describe("reading the admin answers", () => {
  it("reads libraries, with the pending scan", () => {
    const read = readLibraries({
      libraries: [{ path: "/m", real_path: "/m", id: 1, online: true, images: 3, videos: 1, missing: 0, last_scan_at: null }],
      scan: { id: 9, kind: "scan", status: "running" },
    });
    expect(read.libraries[0]).toMatchObject({ path: "/m", images: 3, online: true });
    expect(read.scan).toMatchObject({ id: 9, status: "running" });
    expect(read.job).toBeNull();
  });

  it("survives fields of the wrong type", () => {
    const read = readLibraries({ libraries: [{ path: 3, images: "many" }], scan: "no" });
    expect(read.libraries[0]).toMatchObject({ path: "", images: 0, online: false, scan: null });
    expect(readLibraries({ libraries: [{ path: "/m", scan: "running" }] }).libraries[0]?.scan).toBe("running");
    expect(read.scan).toBeNull();
    expect(readJobPage(null)).toEqual({ jobs: [], next_cursor: null });
  });

  it("reads the queue", () => {
    const queue = readQueue({ paused: true, kinds: { scan: { queued: 1, running: 0, failed: 2 } } });
    expect(queue).toEqual({ paused: true, kinds: { scan: { queued: 1, running: 0, failed: 2 } } });
  });
});

describe("who sees the dashboard link", () => {
  it("is an admin", () => {
    expect(mayAdminister(["admin", "read", "write"])).toBe(true);
    expect(mayAdminister(["read", "write"])).toBe(false);
    expect(mayAdminister(undefined)).toBe(false);
  });
});

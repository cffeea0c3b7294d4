import { describe, expect, it } from "vitest";
import {
  activityFor,
  applyToJob,
  applyToJobs,
  applyToScan,
  parseEvent,
  refreshFor,
  scanCount,
  scanFromSnapshot,
  type LiveEvent,
  type ScanView,
} from "./live";
import { readJob } from "./read";
import type { Job } from "./types";

function job(id: number, status = "queued", kind = "thumbnail", extra: Partial<Job> = {}): Job {
  return { ...readJob({ id, kind, status }), ...extra };
}

function event(type: string, data: object): LiveEvent {
  const parsed = parseEvent(type, JSON.stringify(data));
  if (parsed === null) throw new Error(`not parsed: ${type}`);
  return parsed;
}

const ALL = { statuses: [], kind: null };

describe("parseEvent", () => {
  it("reads the four kinds of event the server sends", () => {
    expect(parseEvent("job", '{"id": 9, "kind": "scan", "status": "running", "error": null}')).toEqual({
      type: "job",
      id: 9,
      kind: "scan",
      status: "running",
      error: null,
    });
    expect(parseEvent("progress", '{"id": 3, "progress": 0.25, "message": "12 files"}')).toEqual({
      type: "progress",
      id: 3,
      progress: 0.25,
      message: "12 files",
      done: null,
      total: null,
    });
    expect(parseEvent("progress", '{"id": 3, "progress": 0.4, "message": "m", "done": 2, "total": 5}')).toMatchObject({
      done: 2,
      total: 5,
    });
    expect(parseEvent("jobs", '{"kind": "thumbnail", "queued": 120}')).toEqual({
      type: "jobs",
      kind: "thumbnail",
      queued: 120,
      paused: null,
    });
    expect(parseEvent("jobs", '{"paused": true}')).toMatchObject({ paused: true, queued: null });
    expect(parseEvent("library", '{"job": 9, "paths": null, "new": 2, "changed": 1, "moved": 0, "missing": 0, "errors": 0}')).toMatchObject({
      type: "library",
      job: 9,
      new: 2,
      changed: 1,
      paths: null,
    });
  });

  it("drops what it cannot read", () => {
    expect(parseEvent("job", "not json")).toBeNull();
    expect(parseEvent("job", '{"kind": "scan"}')).toBeNull(); // no id
    expect(parseEvent("mystery", "{}")).toBeNull();
    expect(parseEvent("progress", '{"id": 1, "progress": 7}')).toMatchObject({ progress: 1 });
  });
});

describe("a job's progress", () => {
  it("moves from queued through running to done", () => {
    let j = job(5);
    j = applyToJob(j, event("job", { id: 5, kind: "thumbnail", status: "running" }));
    expect(j).toMatchObject({ status: "running", progress: 0 });
    j = applyToJob(j, event("progress", { id: 5, progress: 0.4, message: "4 of 10" }));
    expect(j).toMatchObject({ status: "running", progress: 0.4, message: "4 of 10" });
    j = applyToJob(j, event("job", { id: 5, kind: "thumbnail", status: "done" }));
    expect(j).toMatchObject({ status: "done", progress: 1, error: null });
  });

  it("keeps a failure's error, and the last one when queued again for a retry", () => {
    let j = job(5, "running", "thumbnail", { progress: 0.5 });
    j = applyToJob(j, event("job", { id: 5, kind: "thumbnail", status: "failed", error: "broken file" }));
    expect(j).toMatchObject({ status: "failed", error: "broken file" });
    j = applyToJob(j, event("job", { id: 5, kind: "thumbnail", status: "queued", error: null }));
    expect(j).toMatchObject({ status: "queued", progress: 0, error: "broken file" });
  });

  it("leaves other jobs alone", () => {
    const j = job(5);
    expect(applyToJob(j, event("job", { id: 6, kind: "scan", status: "done" }))).toBe(j);
    expect(applyToJob(j, event("progress", { id: 6, progress: 0.5 }))).toBe(j);
  });
});

describe("the job list", () => {
  it("changes known jobs in place and puts new ones on top", () => {
    const list = [job(10, "running"), job(9, "done")];
    const done = applyToJobs(list, event("job", { id: 10, kind: "thumbnail", status: "done" }), ALL);
    expect(done.jobs.map((j) => [j.id, j.status])).toEqual([
      [10, "done"],
      [9, "done"],
    ]);
    expect(done.stale).toBe(false);
    const added = applyToJobs(done.jobs, event("job", { id: 11, kind: "scan", status: "queued" }), ALL);
    expect(added.jobs.map((j) => j.id)).toEqual([11, 10, 9]);
  });

  it("adds only what matches the filter", () => {
    const filter = { statuses: ["failed"], kind: null };
    const list = [job(10, "failed")];
    expect(applyToJobs(list, event("job", { id: 11, kind: "scan", status: "queued" }), filter).jobs).toHaveLength(1);
    expect(applyToJobs(list, event("job", { id: 12, kind: "scan", status: "failed", error: "x" }), filter).jobs).toHaveLength(2);
    const byKind = { statuses: [], kind: "scan" };
    expect(applyToJobs(list, event("job", { id: 13, kind: "hash", status: "queued" }), byKind).jobs).toHaveLength(1);
  });

  it("marks the list stale for older unknown jobs and for bulk queueing", () => {
    const list = [job(10)];
    expect(applyToJobs(list, event("job", { id: 4, kind: "hash", status: "failed" }), ALL).stale).toBe(true);
    expect(applyToJobs(list, event("jobs", { kind: "thumbnail", queued: 300 }), ALL).stale).toBe(true);
    expect(applyToJobs(list, event("jobs", { paused: true }), ALL).stale).toBe(false);
    expect(applyToJobs(list, event("progress", { id: 4, progress: 0.1 }), ALL).stale).toBe(false);
  });
});

describe("the scan card", () => {
  it("follows a rescan over the stream to done, with its outcome", () => {
    const steps: LiveEvent[] = [
      event("job", { id: 9, kind: "scan", status: "queued" }),
      event("job", { id: 9, kind: "scan", status: "running", error: null }),
      event("job", { id: 10, kind: "hash", status: "queued" }),
      event("library", { job: 9, paths: null, new: 2, changed: 0, moved: 0, missing: 1, errors: 0 }),
      event("job", { id: 9, kind: "scan", status: "done", error: null }),
    ];
    const seen: (string | undefined)[] = [];
    let scan: ScanView | null = null;
    for (const step of steps) {
      scan = applyToScan(scan, step);
      seen.push(scan?.status);
    }
    expect(seen).toEqual(["queued", "running", "running", "running", "done"]);
    expect(scan).toMatchObject({ id: 9, status: "done", progress: 1, summary: "2 new, 0 changed, 0 moved, 1 missing" });
  });

  it("counts a scan's files: no fraction while its walk counts, then n of m up to n of n", () => {
    const views: (string | null)[] = [];
    const bars: (number | null)[] = [];
    let scan = applyToScan(null, event("job", { id: 9, kind: "scan", status: "running" }));
    for (const step of [
      event("progress", { id: 9, progress: 0, message: "512 files found, still counting", done: 300, total: null }),
      event("progress", { id: 9, progress: 0.6, message: "m", done: 600, total: 1000 }),
      event("progress", { id: 8, progress: 0.1, message: "another job", done: 1, total: 10 }),
      event("progress", { id: 9, progress: 1, message: "m", done: 1000, total: 1000 }),
      event("job", { id: 9, kind: "scan", status: "done" }),
    ]) {
      scan = applyToScan(scan, step);
      views.push(scanCount(scan!));
      bars.push(scan!.progress);
    }
    expect(views).toEqual([null, "600 of 1,000 files", "600 of 1,000 files", "1,000 of 1,000 files", "1,000 of 1,000 files"]);
    expect(bars).toEqual([null, 0.6, 0.6, 1, 1]);
    expect(scanCount({ done: 1, total: 1 })).toBe("1 of 1 file");
    // A job's progress event without counts keeps its fraction.
    expect(applyToScan(scan, event("progress", { id: 9, progress: 0.5 }))).toMatchObject({ progress: 0.5 });
  });

  it("shows a failed scan's error and ignores an older scan's late news", () => {
    let scan = applyToScan(null, event("job", { id: 9, kind: "scan", status: "running" }));
    scan = applyToScan(scan, event("job", { id: 9, kind: "scan", status: "failed", error: "disk gone" }));
    expect(scan).toMatchObject({ status: "failed", message: "disk gone" });
    scan = applyToScan(scan, event("job", { id: 12, kind: "scan", status: "queued" }));
    expect(scan).toMatchObject({ id: 12, status: "queued", summary: null });
    expect(applyToScan(scan, event("job", { id: 9, kind: "scan", status: "done" }))).toBe(scan);
  });

  it("takes the pending scan from a snapshot, and keeps a finished one on screen", () => {
    const pending = job(9, "running", "scan");
    const fromSnap = scanFromSnapshot(null, pending);
    expect(fromSnap).toMatchObject({ id: 9, status: "running", progress: null });
    const finished: ScanView = { id: 9, status: "done", progress: 1, done: 3, total: 3, message: null, summary: "1 new" };
    expect(scanFromSnapshot(finished, null)).toBe(finished);
    expect(scanFromSnapshot(null, null)).toBeNull();
  });
});

describe("what an event asks to read again, and says in the feed", () => {
  it("reads the queue after job changes and the roots after scans", () => {
    expect(refreshFor(event("job", { id: 1, kind: "thumbnail", status: "done" }))).toEqual({ queue: true, libraries: false });
    expect(refreshFor(event("job", { id: 1, kind: "scan", status: "done" }))).toEqual({ queue: true, libraries: true });
    expect(refreshFor(event("library", { job: 1 }))).toEqual({ queue: false, libraries: true });
    expect(refreshFor(event("progress", { id: 1, progress: 0.2 }))).toEqual({ queue: false, libraries: false });
  });

  it("writes a readable line", () => {
    expect(activityFor(event("job", { id: 9, kind: "scan", status: "running" }))).toMatchObject({
      text: "Scan job #9 started",
      job: 9,
      status: "running",
      tone: "info",
    });
    expect(activityFor(event("job", { id: 3, kind: "hash", status: "failed", error: "unreadable" }))?.text).toBe(
      "Hash job #3 failed: unreadable",
    );
    expect(activityFor(event("jobs", { kind: "thumbnail", queued: 3 }))?.text).toBe("3 thumbnail jobs queued");
    expect(activityFor(event("jobs", { paused: true }))?.tone).toBe("warn");
    expect(activityFor(event("progress", { id: 1, progress: 0.5 }))).toBeNull();
  });
});

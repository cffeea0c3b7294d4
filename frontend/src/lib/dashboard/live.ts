// The live stream (GET /api/v1/events, src/mediashelf/web/api/events.py and the emit()
// calls in jobs/store.py, jobs/kinds.py) read into typed events, and what each event
// changes in what the dashboard shows. Pure functions: live.test.ts covers them.
//
//   job       {id, kind, status, error?}  a job was queued, started, finished, failed,
//                                          cancelled, or queued again for a retry
//   progress  {id, progress, message}     a running job's fraction done (0..1)
//             + {done, total} for a scan:  files looked at of the files its walks found;
//                                          total null while a walk is still counting
//   jobs      {kind, queued}              many jobs of a kind queued at once
//             {paused}                    the queue was paused or resumed
//   library   {job, paths, new, changed, moved, missing, errors}   a scan's changes
import { PENDING, type Job } from "./types";
import { count, plural } from "./format";
import { list, num, numOrNull, obj, text, textOrNull } from "./read";

export const EVENT_TYPES = ["job", "progress", "jobs", "library"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface JobEvent {
  type: "job";
  id: number;
  kind: string;
  status: string;
  error: string | null;
}

export interface ProgressEvent {
  type: "progress";
  id: number;
  progress: number;
  message: string | null;
  /** Things done (a scan: files looked at); null when the job does not count. */
  done: number | null;
  /** Of how many; null while not known yet (a scan's walk is still counting). */
  total: number | null;
}

export interface JobsEvent {
  type: "jobs";
  kind: string | null;
  queued: number | null;
  paused: boolean | null;
}

export interface LibraryEvent {
  type: "library";
  job: number | null;
  paths: string[] | null;
  new: number;
  changed: number;
  moved: number;
  missing: number;
  errors: number;
}

export type LiveEvent = JobEvent | ProgressEvent | JobsEvent | LibraryEvent;

/** An SSE message as a typed event; null for a type or a body this page does not know. */
export function parseEvent(type: string, data: string): LiveEvent | null {
  let body: Record<string, unknown>;
  try {
    body = obj(JSON.parse(data));
  } catch {
    return null;
  }
  switch (type) {
    case "job": {
      const id = numOrNull(body.id);
      if (id === null) return null;
      return { type, id, kind: text(body.kind, "?"), status: text(body.status, "queued"), error: textOrNull(body.error) };
    }
    case "progress": {
      const id = numOrNull(body.id);
      if (id === null) return null;
      const fraction = Math.min(1, Math.max(0, num(body.progress)));
      return { type, id, progress: fraction, message: textOrNull(body.message), done: numOrNull(body.done), total: numOrNull(body.total) };
    }
    case "jobs":
      return {
        type,
        kind: textOrNull(body.kind),
        queued: numOrNull(body.queued),
        paused: typeof body.paused === "boolean" ? body.paused : null,
      };
    case "library":
      return {
        type,
        job: numOrNull(body.job),
        paths: Array.isArray(body.paths) ? list(body.paths).map((p) => text(p)) : null,
        new: num(body.new),
        changed: num(body.changed),
        moved: num(body.moved),
        missing: num(body.missing),
        errors: num(body.errors),
      };
    default:
      return null;
  }
}

/** A job as an event leaves it (the same object when the event is about another job). */
export function applyToJob(job: Job, event: LiveEvent): Job {
  if (event.type === "job" && event.id === job.id) {
    const next: Job = { ...job, status: event.status, kind: event.kind !== "?" ? event.kind : job.kind };
    if (event.status === "done") {
      next.progress = 1;
      next.error = null;
    } else if (event.status !== job.status && PENDING.includes(event.status)) {
      next.progress = 0; // started, or queued again: from the beginning
    }
    if (event.status === "failed" || event.status === "queued") next.error = event.error ?? job.error;
    return next;
  }
  if (event.type === "progress" && event.id === job.id) {
    return { ...job, progress: event.progress, message: event.message ?? job.message };
  }
  return job;
}

export interface JobFilter {
  statuses: readonly string[]; // empty: every status
  kind: string | null;
}

export function matchesFilter(job: Pick<Job, "status" | "kind">, filter: JobFilter): boolean {
  if (filter.statuses.length && !filter.statuses.includes(job.status)) return false;
  return filter.kind === null || filter.kind === job.kind;
}

/** A job known only from its event, until the list is read again. */
export function jobFromEvent(event: JobEvent): Job {
  return {
    id: event.id,
    kind: event.kind,
    target: null,
    item_id: null,
    root_id: null,
    path: null,
    params: {},
    priority: 0,
    status: event.status,
    progress: event.status === "done" ? 1 : 0,
    message: null,
    attempts: 0,
    error: event.error,
    worker: null,
    created_at: null,
    updated_at: null,
    started_at: null,
    finished_at: null,
  };
}

export interface JobsView {
  jobs: Job[];
  /** The list may miss jobs now: read its first page again (soon, not at every event). */
  stale: boolean;
}

/**
 * A listed page of jobs (newest first) after an event. Known jobs change in place; one
 * that no longer matches the filter stays until the next read, so that a row does not
 * vanish under the pointer. A new job that matches appears at the top; a bulk `jobs`
 * event marks the list stale.
 */
export function applyToJobs(jobs: readonly Job[], event: LiveEvent, filter: JobFilter): JobsView {
  if (event.type === "jobs") return { jobs: [...jobs], stale: event.queued !== null };
  if (event.type === "library") return { jobs: [...jobs], stale: false };
  let known = false;
  const next = jobs.map((job) => {
    if (job.id !== event.id) return job;
    known = true;
    return applyToJob(job, event);
  });
  if (known || event.type === "progress") return { jobs: next, stale: false };
  if (!matchesFilter(event, filter)) return { jobs: next, stale: false };
  const newest = next[0]?.id ?? 0;
  if (event.id > newest) return { jobs: [jobFromEvent(event), ...next], stale: false };
  return { jobs: next, stale: true }; // an older job we have not loaded: read again
}

/** What a scan card shows: the scan pending or last seen, and its outcome. */
export interface ScanView {
  id: number;
  status: string;
  /** 0..1, or null while the scan gives no fraction (its walk is counting the files). */
  progress: number | null;
  /** Files looked at, of `total` (null until the walk has counted them). */
  done: number | null;
  total: number | null;
  message: string | null;
  summary: string | null;
}

export function scanFromJob(job: Job): ScanView {
  const done = job.status === "done";
  return {
    id: job.id,
    status: job.status,
    progress: done ? 1 : job.progress > 0 ? job.progress : null,
    done: null,
    total: null,
    message: job.message,
    summary: null,
  };
}

/**
 * The scan card after reading GET /admin/libraries: its pending scan, else the scan
 * shown already (finished: its outcome stays on screen; pending: its end is on the way
 * in the stream).
 */
export function scanFromSnapshot(previous: ScanView | null, pending: Job | null): ScanView | null {
  if (pending === null) return previous;
  if (previous !== null && previous.id === pending.id) {
    const fresh = scanFromJob(pending);
    return { ...fresh, summary: previous.summary, progress: previous.progress ?? fresh.progress, done: previous.done, total: previous.total };
  }
  return scanFromJob(pending);
}

export function scanSummary(event: LibraryEvent): string {
  const parts = [`${event.new} new`, `${event.changed} changed`, `${event.moved} moved`, `${event.missing} missing`];
  if (event.errors) parts.push(`${event.errors} ${event.errors === 1 ? "error" : "errors"}`);
  return parts.join(", ");
}

export function applyToScan(scan: ScanView | null, event: LiveEvent): ScanView | null {
  if (event.type === "job" && event.kind === "scan") {
    if (scan !== null && scan.id > event.id) return scan; // an older scan's late news
    const same = scan !== null && scan.id === event.id;
    const progress = event.status === "done" ? 1 : same && event.status === "running" ? scan.progress : null;
    return {
      id: event.id,
      status: event.status,
      progress,
      done: same ? scan.done : null,
      total: same ? scan.total : null,
      message: event.status === "failed" ? event.error : same ? scan.message : null,
      summary: same ? scan.summary : null,
    };
  }
  if (scan === null) return null;
  if (event.type === "progress" && event.id === scan.id) {
    const counting = event.done !== null && event.total === null; // no fraction yet
    return {
      ...scan,
      progress: counting ? null : event.progress,
      done: event.done,
      total: event.total,
      message: event.message ?? scan.message,
    };
  }
  if (event.type === "library" && event.job === scan.id) return { ...scan, summary: scanSummary(event) };
  return scan;
}

/** What to read again after an event: the queue's depth, the roots' counts, the job list. */
export interface Refresh {
  queue: boolean;
  libraries: boolean;
}

export function refreshFor(event: LiveEvent): Refresh {
  switch (event.type) {
    case "job":
      return { queue: true, libraries: event.kind === "scan" };
    case "jobs":
      return { queue: true, libraries: false };
    case "library":
      return { queue: false, libraries: true };
    default:
      return { queue: false, libraries: false };
  }
}

export type Tone = "info" | "ok" | "warn" | "error";

export interface Activity {
  /** The job this line is about, if one. */
  job: number | null;
  status: string | null;
  text: string;
  tone: Tone;
}

const STATUS_WORDS: Record<string, string> = {
  queued: "queued",
  running: "started",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

const STATUS_TONES: Record<string, Tone> = { done: "ok", failed: "error", cancelled: "warn" };

/** One line of the activity feed; null for events too small to list (progress ticks). */
export function activityFor(event: LiveEvent): Activity | null {
  switch (event.type) {
    case "job": {
      const word = STATUS_WORDS[event.status] ?? event.status;
      const why = event.status === "failed" && event.error ? `: ${event.error}` : "";
      return {
        job: event.id,
        status: event.status,
        text: `${capitalise(event.kind)} job #${event.id} ${word}${why}`,
        tone: STATUS_TONES[event.status] ?? "info",
      };
    }
    case "jobs":
      if (event.paused !== null) {
        return {
          job: null,
          status: null,
          text: event.paused ? "Queue paused: running jobs finish, no new ones start" : "Queue resumed",
          tone: event.paused ? "warn" : "ok",
        };
      }
      if (event.queued !== null) {
        const n = event.queued;
        return { job: null, status: "queued", text: `${n} ${event.kind ?? ""} ${n === 1 ? "job" : "jobs"} queued`.replace("  ", " "), tone: "info" };
      }
      return null;
    case "library":
      return { job: event.job, status: null, text: `Scan #${event.job ?? "?"} found ${scanSummary(event)}`, tone: event.errors ? "warn" : "ok" };
    default:
      return null;
  }
}

export function capitalise(word: string): string {
  return word ? word[0]!.toUpperCase() + word.slice(1) : word;
}

/** A scan's count for people, "3 of 5 files"; null until its walk has counted them. */
export function scanCount(scan: Pick<ScanView, "done" | "total">): string | null {
  if (scan.done === null || scan.total === null) return null;
  return `${count(scan.done)} of ${plural(scan.total, "file")}`;
}

// What the admin routes answer. Most of them declare only "an object" in the OpenAPI
// schema (`dict[str, Any]`), so these types are written here from the routes' code
// (src/mediashelf/web/api/admin.py, libraries.py, filters.py, users.py), and
// read.ts checks the answers against them before a page uses them.

export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";
export const JOB_STATUSES: readonly JobStatus[] = ["queued", "running", "done", "failed", "cancelled"];
export const PENDING: readonly string[] = ["queued", "running"];

/** The kinds of job (jobs/kinds.py), in the order the dashboard lists them. */
export const JOB_KINDS = ["scan", "thumbnail", "hash", "probe", "sprites", "previews", "teaser", "backup"] as const;
/** What POST /admin/generate makes. */
export const GENERATE_KINDS = ["thumbnail", "sprites", "previews", "teaser"] as const;
export type GenerateKind = (typeof GENERATE_KINDS)[number];

/** admin.py `job_json`. Times are ISO 8601 in UTC, without an offset. */
export interface Job {
  id: number;
  kind: string;
  target: string | null;
  item_id: number | null;
  root_id: number | null;
  path: string | null;
  params: Record<string, unknown>;
  priority: number;
  status: string;
  progress: number;
  message: string | null;
  attempts: number;
  error: string | null;
  worker: string | null;
  created_at: string | null;
  updated_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobPage {
  jobs: Job[];
  next_cursor: number | null;
}

/** libraries.py `libraries_json`: one root. */
export interface Library {
  path: string;
  real_path: string;
  id: number | null;
  online: boolean;
  images: number;
  videos: number;
  missing: number;
  last_scan_at: string | null;
  /** "queued" or "running": the pending scan looks at this root; null: none does. */
  scan: string | null;
}

export interface Libraries {
  libraries: Library[];
  /** The scan queued or running now. */
  scan: Job | null;
  /** POST only: the scan that covers the new root. */
  job: Job | null;
}

export interface KindDepth {
  queued: number;
  running: number;
  failed: number;
}

/** GET /admin/queue, and the answer of /admin/pause and /admin/resume. */
export interface Queue {
  paused: boolean;
  kinds: Record<string, KindDepth>;
}

/** auth.py `user_json`. */
export interface User {
  id: number;
  username: string;
  display_name: string;
  role: string;
  disabled: boolean;
  local_login: boolean;
  oidc: boolean;
  created_at: string | null;
  last_login_at: string | null;
}

/** users.py `key_json`; `key` (the secret) only in the answer to POST /apikeys. */
export interface ApiKey {
  id: number;
  name: string;
  scope: string;
  prefix: string;
  user_id: number;
  username: string | null;
  state: string;
  created_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface NewApiKey extends ApiKey {
  key: string;
}

/** A tag, performer or studio, as the content filters name them. */
export interface Named {
  id: number;
  name: string;
  count: number | null;
}

export type FilterKind = "tags" | "performers" | "studios";
export const FILTER_KINDS: readonly FilterKind[] = ["tags", "performers", "studios"];
export type ContentFilters = Record<FilterKind, Named[]>;

export interface Health {
  status: string;
  version: string;
  database: string;
}

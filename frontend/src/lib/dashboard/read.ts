// Checked reading of the admin routes' answers (typed `Record<string, unknown>` by the
// schema): a field of the wrong type becomes a safe default instead of a crash later.
import type {
  ApiKey,
  ContentFilters,
  Health,
  Job,
  JobPage,
  KindDepth,
  Libraries,
  Library,
  Named,
  NewApiKey,
  Queue,
  User,
} from "./types";

type Obj = Record<string, unknown>;

export function obj(value: unknown): Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function num(value: unknown, fallback = 0): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

export function numOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

export function textOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function bool(value: unknown): boolean {
  return value === true;
}

export function readJob(value: unknown): Job {
  const j = obj(value);
  return {
    id: num(j.id),
    kind: text(j.kind, "?"),
    target: textOrNull(j.target),
    item_id: numOrNull(j.item_id),
    root_id: numOrNull(j.root_id),
    path: textOrNull(j.path),
    params: obj(j.params),
    priority: num(j.priority),
    status: text(j.status, "queued"),
    progress: num(j.progress),
    message: textOrNull(j.message),
    attempts: num(j.attempts),
    error: textOrNull(j.error),
    worker: textOrNull(j.worker),
    created_at: textOrNull(j.created_at),
    updated_at: textOrNull(j.updated_at),
    started_at: textOrNull(j.started_at),
    finished_at: textOrNull(j.finished_at),
  };
}

export function readJobOrNull(value: unknown): Job | null {
  return typeof value === "object" && value !== null && "id" in value ? readJob(value) : null;
}

export function readJobPage(value: unknown): JobPage {
  const page = obj(value);
  return { jobs: list(page.jobs).map(readJob), next_cursor: numOrNull(page.next_cursor) };
}

export function readLibrary(value: unknown): Library {
  const l = obj(value);
  return {
    path: text(l.path),
    real_path: text(l.real_path, text(l.path)),
    id: numOrNull(l.id),
    online: bool(l.online),
    images: num(l.images),
    videos: num(l.videos),
    missing: num(l.missing),
    last_scan_at: textOrNull(l.last_scan_at),
    scan: textOrNull(l.scan),
  };
}

export function readLibraries(value: unknown): Libraries {
  const l = obj(value);
  return {
    libraries: list(l.libraries).map(readLibrary),
    scan: readJobOrNull(l.scan),
    job: readJobOrNull(l.job),
  };
}

function readDepth(value: unknown): KindDepth {
  const d = obj(value);
  return { queued: num(d.queued), running: num(d.running), failed: num(d.failed) };
}

export function readQueue(value: unknown): Queue {
  const q = obj(value);
  const kinds: Record<string, KindDepth> = {};
  for (const [kind, depth] of Object.entries(obj(q.kinds))) kinds[kind] = readDepth(depth);
  return { paused: bool(q.paused), kinds };
}

export function readUser(value: unknown): User {
  const u = obj(value);
  return {
    id: num(u.id),
    username: text(u.username),
    display_name: text(u.display_name),
    role: text(u.role, "viewer"),
    disabled: bool(u.disabled),
    local_login: bool(u.local_login),
    oidc: bool(u.oidc),
    created_at: textOrNull(u.created_at),
    last_login_at: textOrNull(u.last_login_at),
  };
}

export function readUsers(value: unknown): { users: User[]; next_cursor: number | null } {
  const page = obj(value);
  return { users: list(page.users).map(readUser), next_cursor: numOrNull(page.next_cursor) };
}

export function readKey(value: unknown): ApiKey {
  const k = obj(value);
  return {
    id: num(k.id),
    name: text(k.name),
    scope: text(k.scope),
    prefix: text(k.prefix),
    user_id: num(k.user_id),
    username: textOrNull(k.username),
    state: text(k.state, "active"),
    created_at: textOrNull(k.created_at),
    expires_at: textOrNull(k.expires_at),
    last_used_at: textOrNull(k.last_used_at),
    revoked_at: textOrNull(k.revoked_at),
  };
}

export function readNewKey(value: unknown): NewApiKey {
  return { ...readKey(value), key: text(obj(value).key) };
}

export function readKeys(value: unknown): { keys: ApiKey[]; next_cursor: number | null } {
  const page = obj(value);
  return { keys: list(page.keys).map(readKey), next_cursor: numOrNull(page.next_cursor) };
}

export function readNamed(value: unknown): Named {
  const n = obj(value);
  return { id: num(n.id), name: text(n.name), count: numOrNull(n.count) };
}

export function readFilters(value: unknown): ContentFilters {
  const f = obj(value);
  return {
    tags: list(f.tags).map(readNamed),
    performers: list(f.performers).map(readNamed),
    studios: list(f.studios).map(readNamed),
  };
}

export function readHealth(value: unknown): Health {
  const h = obj(value);
  return { status: text(h.status, "unknown"), version: text(h.version), database: text(h.database) };
}

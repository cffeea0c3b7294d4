// The pages' one way to the JSON API: fetch, typed by the OpenAPI schema (schema.d.ts,
// generated from the server's own: `make schema`). Paths, path and query parameters and
// request bodies are checked against it; a response is typed as the schema says (many
// routes still declare only "an object").
//
//   const setup = await api.get("/api/v1/auth/setup");
//   await api.post("/api/v1/auth/login", { body: { username, password }, loginRedirect: false });
//   const item = await api.get("/api/v1/items/{item_id}", { path: { item_id: 3 } });
//
// State-changing requests carry the CSRF token from its cookie; a 401 sends the visitor
// to the login page (and comes back here after); any other failure throws an ApiError
// whose message is readable as it is.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

export type Method = "get" | "put" | "post" | "delete" | "patch";

/** The paths that have an operation for `M`. */
export type PathsFor<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never;
}[keyof paths];

export type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type Params<O> = O extends { parameters: infer X } ? X : object;
type Present<T> = Exclude<T, undefined>;
type PathOf<O> = Params<O> extends { path: infer X } ? X : never;
type QueryOf<O> = Params<O> extends { query?: infer X } ? Present<X> : never;
type BodyOf<O> = O extends { requestBody?: infer X }
  ? Present<X> extends { content: { "application/json": infer B } }
    ? B
    : never
  : never;

/** `{ key: T }` when required, `{ key?: T }` when not, nothing when the operation has none. */
type Field<K extends string, T, Required> = [T] extends [never]
  ? object
  : Required extends true
    ? { [k in K]: T }
    : { [k in K]?: T };

export interface Options {
  headers?: HeadersInit;
  signal?: AbortSignal;
  /** false: a 401 is thrown like any error instead of sending the visitor to log in. */
  loginRedirect?: boolean;
}

/** What a call takes besides its path: the operation's parameters and body, and Options. */
export type RequestOf<O> = Field<"path", PathOf<O>, true> &
  Field<"query", QueryOf<O>, Params<O> extends { query: object } ? true : false> &
  Field<"body", BodyOf<O>, O extends { requestBody: object } ? true : false> &
  Options;

type Args<O> = object extends RequestOf<O> ? [init?: RequestOf<O>] : [init: RequestOf<O>];

type Responses<O> = O extends { responses: infer R } ? R : never;
type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : undefined;

/** The body of the operation's success response, as the schema declares it. */
export type ResponseOf<O> =
  Responses<O> extends { 200: infer R }
    ? JsonOf<R>
    : Responses<O> extends { 201: infer R }
      ? JsonOf<R>
      : Responses<O> extends { 204: unknown }
        ? undefined
        : unknown;

/** A request that failed: `status` 0 when the server could not be reached at all. */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly status: number,
    /** The error body's `detail` (a sentence, or a list of what does not validate). */
    readonly detail: Problem["detail"] | null,
    message: string,
  ) {
    super(message);
  }
}

/** A readable sentence from an error body's `detail`. */
export function problemMessage(detail: unknown, status: number): string {
  if (typeof detail === "string" && detail.trim()) return detail;
  if (Array.isArray(detail) && detail.length) {
    const parts = detail.map((entry: unknown) => {
      if (typeof entry !== "object" || entry === null) return String(entry);
      const { loc, msg } = entry as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(loc) ? loc.slice(1).join(".") : "";
      const what = typeof msg === "string" ? msg : JSON.stringify(entry);
      return where ? `${where}: ${what}` : what;
    });
    return parts.join("; ");
  }
  return `The request failed (HTTP ${status}).`;
}

export const CSRF_COOKIE = "mediashelf_csrf";
export const CSRF_HEADER = "x-csrf-token";

/** The CSRF token the server set at login (a cookie that scripts may read). */
export function csrfToken(cookies: string = document.cookie): string {
  const pair = cookies.split("; ").find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(CSRF_COOKIE.length + 1)) : "";
}

/** Send the visitor to log in, and back to this page afterwards. */
export function toLogin(): void {
  if (location.pathname === "/login") return;
  location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

type Query = Record<string, unknown>;

/** `/a/{id}/b` with its parameters filled in and encoded, and the query string. */
export function buildUrl(path: string, params?: object, query?: object): string {
  const values = (params ?? {}) as Record<string, unknown>;
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(values[name]));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries((query ?? {}) as Query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null) search.append(key, String(one));
    }
  }
  const text = search.toString();
  return text ? `${filled}?${text}` : filled;
}

interface AnyInit extends Options {
  path?: object;
  query?: object;
  body?: unknown;
}

export async function request(method: Method, path: string, init: AnyInit = {}): Promise<unknown> {
  const verb = method.toUpperCase();
  const headers = new Headers(init.headers);
  headers.set("accept", "application/json");
  if (verb !== "GET" && verb !== "HEAD") {
    const token = csrfToken();
    if (token) headers.set(CSRF_HEADER, token);
  }
  let body: string | undefined;
  if (init.body !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, init.path, init.query), {
      method: verb,
      headers,
      body,
      signal: init.signal,
      credentials: "same-origin",
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError(0, null, `Could not reach the server: ${why}`);
  }
  const text = res.status === 204 ? "" : await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
    if (res.ok) throw new ApiError(res.status, null, "The server's answer is not JSON.");
  }
  if (res.ok) return json;
  if (res.status === 401 && init.loginRedirect !== false) toLogin();
  const detail =
    typeof json === "object" && json !== null && "detail" in json
      ? (json.detail as Problem["detail"])
      : null;
  throw new ApiError(res.status, detail, problemMessage(detail, res.status));
}

function verb<M extends Method>(method: M) {
  return <P extends PathsFor<M>>(
    path: P,
    ...[init]: Args<Operation<P, M>>
  ): Promise<ResponseOf<Operation<P, M>>> =>
    request(method, path, init as AnyInit) as Promise<ResponseOf<Operation<P, M>>>;
}

/** `api.get(path, init)`, `api.post(…)`…: typed calls to the JSON API. */
export const api = {
  get: verb("get"),
  post: verb("post"),
  put: verb("put"),
  patch: verb("patch"),
  delete: verb("delete"),
};

// The gallery's calls to the JSON API, through the shared typed client. The items list
// gets the view's parameters as the URL holds them (strings: the server validates), so it
// goes through `request`; everything else is typed by the schema.
import { whoAmI } from "../account";
import { api, request } from "../api/client";
import { filtersToQuery, type Filters, type ListKey } from "./filters";
import { toItem, toItems, type GalleryItem, type Named } from "./items";
import type { Page } from "./feed";
import { toFolders, type Folder } from "./folders";
import { chunks } from "./chunks";

type Json = Record<string, unknown>;

export async function fetchItems(
  filters: Filters,
  cursor: string | null,
  limit: number,
  signal?: AbortSignal,
): Promise<Page<GalleryItem>> {
  const query = { ...filtersToQuery(filters), limit, ...(cursor ? { cursor } : {}) };
  const body = (await request("get", "/api/v1/items", { query, signal })) as Json | undefined;
  const next = body?.next_cursor;
  return { items: toItems(body?.items), next_cursor: typeof next === "string" && next ? next : null };
}

export async function countItems(filters: Filters, signal?: AbortSignal): Promise<number> {
  const body = (await request("get", "/api/v1/items/count", { query: filtersToQuery(filters, false), signal })) as
    | Json
    | undefined;
  return typeof body?.count === "number" ? body.count : 0;
}

export async function getItem(id: number): Promise<GalleryItem | null> {
  return toItem(await api.get("/api/v1/items/{item_id}", { path: { item_id: id } }));
}

export interface Me {
  username: string;
  role: string;
  permissions: string[];
}

/** Who is asking (any way in: a session, a key, AUTH=off); null if the server will not say. */
export async function whoami(): Promise<Me | null> {
  try {
    const me = await whoAmI();
    if (me === null) return null;
    const user = (typeof me.user === "object" && me.user !== null ? me.user : {}) as Json;
    const perms = Array.isArray(me.permissions) ? me.permissions.filter((p): p is string => typeof p === "string") : [];
    return {
      username: typeof user.username === "string" ? user.username : "",
      role: typeof user.role === "string" ? user.role : "",
      permissions: perms,
    };
  } catch {
    return null;
  }
}

function nameFrom(body: unknown): string | null {
  const name = (body as Json | undefined)?.name;
  return typeof name === "string" ? name : null;
}

/** A tag's, performer's or studio's name by id; null when there is none. */
export async function nameOf(kind: ListKey, id: string): Promise<string | null> {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 1) return null;
  try {
    if (kind === "tag") return nameFrom(await api.get("/api/v1/tags/{tag_id}", { path: { tag_id: n } }));
    if (kind === "performer") {
      return nameFrom(await api.get("/api/v1/performers/{performer_id}", { path: { performer_id: n } }));
    }
    return nameFrom(await api.get("/api/v1/studios/{studio_id}", { path: { studio_id: n } }));
  } catch {
    return null;
  }
}

export interface Suggestion extends Named {
  count: number;
}

function suggestions(list: unknown): Suggestion[] {
  if (!Array.isArray(list)) return [];
  const out: Suggestion[] = [];
  for (const entry of list as Json[]) {
    if (typeof entry?.id === "number" && typeof entry.name === "string") {
      out.push({ id: entry.id, name: entry.name, count: typeof entry.count === "number" ? entry.count : 0 });
    }
  }
  return out;
}

/** Tags, performers or studios whose name or an alias starts with `q`. */
export async function searchNames(kind: ListKey, q: string, signal?: AbortSignal): Promise<Suggestion[]> {
  const query = { q: q.trim() || undefined, limit: 20, sort: q.trim() ? ("name" as const) : ("-count" as const) };
  if (kind === "tag") return suggestions((await api.get("/api/v1/tags", { query, signal })).tags);
  if (kind === "performer") return suggestions((await api.get("/api/v1/performers", { query, signal })).performers);
  return suggestions((await api.get("/api/v1/studios", { query, signal })).studios);
}

/** The most items one attach or photoset call takes. */
export const MAX_LINKS = 10_000;

/** Put tags (ids, or names: new names become tags) on items; how many links were added. */
export async function attachTags(tags: (number | string)[], items: number[]): Promise<number> {
  let added = 0;
  for (const part of chunks(items, MAX_LINKS)) {
    const done = await api.post("/api/v1/tags/attach", { body: { tags, items: part, photosets: [] } });
    added += typeof done.added === "number" ? done.added : 0;
  }
  return added;
}

export interface PhotosetChoice {
  id: number;
  name: string;
  count: number;
}

export async function searchPhotosets(q: string, signal?: AbortSignal): Promise<PhotosetChoice[]> {
  const body = await api.get("/api/v1/photosets", {
    query: { q: q.trim() || undefined, limit: 20, sort: q.trim() ? "name" : "-created" },
    signal,
  });
  const list = Array.isArray(body.photosets) ? (body.photosets as Json[]) : [];
  return list
    .filter((s) => typeof s?.id === "number" && typeof s.name === "string")
    .map((s) => ({ id: s.id as number, name: s.name as string, count: typeof s.count === "number" ? s.count : 0 }));
}

/** Add items to a photoset (at the end); how many were new to it. */
export async function addToPhotoset(id: number, items: number[]): Promise<number> {
  let added = 0;
  for (const part of chunks(items, MAX_LINKS)) {
    const done = await api.post("/api/v1/photosets/{photoset_id}/items/add", {
      path: { photoset_id: id },
      body: { items: part },
    });
    added += typeof done.added === "number" ? done.added : 0;
  }
  return added;
}

/** A new photoset holding these items; its id. */
export async function createPhotoset(name: string, items: number[]): Promise<number> {
  const [first = [], ...rest] = chunks(items, MAX_LINKS);
  const made = await api.post("/api/v1/photosets", { body: { name, items: first } });
  const id = typeof made.id === "number" ? made.id : 0;
  for (const part of rest) await addToPhotoset(id, part);
  return id;
}

/** Your rating of these items, in one request (per 10,000): 0-100 (a star is 20), or null
 * to take it back. All or nothing: an unknown or hidden item refuses it (404). */
export async function rateMany(items: number[], value: number | null): Promise<void> {
  for (const part of chunks(items, MAX_LINKS)) await api.post("/api/v1/ratings/set", { body: { items: part, value } });
}

/** These items in your favourites, or out of them, in one request (per 10,000); all or nothing. */
export async function favouriteMany(items: number[], on: boolean): Promise<void> {
  const path = on ? "/api/v1/favorites/add" : "/api/v1/favorites/remove";
  for (const part of chunks(items, MAX_LINKS)) await api.post(path, { body: { items: part } });
}

/** A folder's sub-folders (`parent` "" for the top of the library). */
export async function listFolders(parent: string, signal?: AbortSignal): Promise<Folder[]> {
  return toFolders(await api.get("/api/v1/folders", { query: { parent }, signal }));
}

/** Admins: scan the library now (409 while a scan is pending: that is fine too). */
export async function rescan(): Promise<void> {
  await api.post("/api/v1/admin/rescan", { body: {} });
}

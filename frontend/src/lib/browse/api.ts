// The browse pages' and photosets' calls to the JSON API, through the shared typed client.
// These routes answer "an object" in the schema: model.ts reads the answers.

import { api } from "../api/client";
import {
  obj,
  str,
  toEntries,
  toEntry,
  toItems,
  toPhotosetDetail,
  toPhotosets,
  type Entry,
  type Item,
  type NameKind,
  type Photoset,
  type PhotosetDetail,
} from "./model";
import type { Page } from "./paging";
import type { KindFilter, NameSort, PhotosetFilters, PhotosetSort } from "./url";

function next(body: unknown, key = "next_cursor"): string | null {
  return str(obj(body)?.[key]) || null;
}

// -- who is looking --------------------------------------------------------------------


// -- tags, performers, studios ---------------------------------------------------------

export interface NameQuery {
  q: string;
  sort: NameSort;
  limit?: number;
}

export async function listNames(
  kind: NameKind,
  { q, sort, limit = 60 }: NameQuery,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<Page<Entry>> {
  const query = { q: q.trim() || undefined, sort, limit, cursor: cursor ?? undefined };
  const body =
    kind === "tags"
      ? await api.get("/api/v1/tags", { query, signal })
      : kind === "performers"
        ? await api.get("/api/v1/performers", { query, signal })
        : await api.get("/api/v1/studios", { query, signal });
  return { items: toEntries(body[kind]), next: next(body) };
}

function entryOr(body: unknown): Entry {
  const entry = toEntry(body);
  if (!entry) throw new Error("The server's answer is not an entry.");
  return entry;
}

export async function createName(kind: NameKind, name: string): Promise<Entry> {
  const body = { name, aliases: [] };
  if (kind === "tags") return entryOr(await api.post("/api/v1/tags", { body }));
  if (kind === "performers") return entryOr(await api.post("/api/v1/performers", { body }));
  return entryOr(await api.post("/api/v1/studios", { body }));
}

export async function renameName(kind: NameKind, id: number, name: string): Promise<Entry> {
  const body = { name };
  if (kind === "tags") return entryOr(await api.patch("/api/v1/tags/{tag_id}", { path: { tag_id: id }, body }));
  if (kind === "performers") {
    return entryOr(await api.patch("/api/v1/performers/{performer_id}", { path: { performer_id: id }, body }));
  }
  return entryOr(await api.patch("/api/v1/studios/{studio_id}", { path: { studio_id: id }, body }));
}

export async function deleteName(kind: NameKind, id: number): Promise<void> {
  if (kind === "tags") await api.delete("/api/v1/tags/{tag_id}", { path: { tag_id: id } });
  else if (kind === "performers") await api.delete("/api/v1/performers/{performer_id}", { path: { performer_id: id } });
  else await api.delete("/api/v1/studios/{studio_id}", { path: { studio_id: id } });
}

/** Merge `from` into `id`: answers the merged entry (its new count). */
export async function mergeNames(kind: NameKind, id: number, from: number[]): Promise<Entry> {
  const body = { from };
  if (kind === "tags") return entryOr(await api.post("/api/v1/tags/{tag_id}/merge", { path: { tag_id: id }, body }));
  if (kind === "performers") {
    return entryOr(await api.post("/api/v1/performers/{performer_id}/merge", { path: { performer_id: id }, body }));
  }
  return entryOr(await api.post("/api/v1/studios/{studio_id}/merge", { path: { studio_id: id }, body }));
}

// -- discover --------------------------------------------------------------------------

function kindQuery(kind: KindFilter): { kind?: "image" | "video" } {
  return kind ? { kind } : {};
}

export async function randomItems(kind: KindFilter, limit: number): Promise<Item[]> {
  const body = await api.get("/api/v1/random", { query: { limit, ...kindQuery(kind) } });
  return toItems(body.items);
}

export async function spotlightItem(kind: KindFilter): Promise<Item | null> {
  const body = await api.get("/api/v1/random/spotlight", { query: kindQuery(kind) });
  return toItems(body.items)[0] ?? null;
}

export async function seededPage(
  seed: number,
  kind: KindFilter,
  cursor: string | null,
  signal?: AbortSignal,
  limit = 60,
): Promise<Page<Item>> {
  const body = await api.get("/api/v1/random/seeded/{seed}", {
    path: { seed },
    query: { limit, cursor: cursor ?? undefined, ...kindQuery(kind) },
    signal,
  });
  return { items: toItems(body.items), next: next(body) };
}

// -- photosets -------------------------------------------------------------------------

export async function listPhotosets(
  q: string,
  sort: PhotosetSort,
  filters: PhotosetFilters,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<Page<Photoset>> {
  const query = {
    q: q.trim() || undefined,
    sort,
    limit: 60,
    cursor: cursor ?? undefined,
    year: filters.year ?? undefined,
    tag: filters.tag.length ? filters.tag : undefined,
    performer: filters.performer.length ? filters.performer : undefined,
    studio: filters.studio.length ? filters.studio : undefined,
  };
  const body = await api.get("/api/v1/photosets", { query, signal });
  return { items: toPhotosets(body.photosets), next: next(body) };
}

function detailOr(body: unknown): PhotosetDetail {
  const set = toPhotosetDetail(body);
  if (!set) throw new Error("The server's answer is not a photoset.");
  return set;
}

export async function getPhotoset(id: number, limit = 200): Promise<PhotosetDetail> {
  return detailOr(await api.get("/api/v1/photosets/{photoset_id}", { path: { photoset_id: id }, query: { limit } }));
}

export async function photosetItems(id: number, cursor: string | null, signal?: AbortSignal): Promise<Page<Item>> {
  const body = await api.get("/api/v1/photosets/{photoset_id}/items", {
    path: { photoset_id: id },
    query: { limit: 500, cursor: cursor ?? undefined },
    signal,
  });
  return { items: toItems(body.items), next: next(body) };
}

export async function createPhotoset(name: string, description: string): Promise<PhotosetDetail> {
  return detailOr(await api.post("/api/v1/photosets", { body: { name, description: description || null, items: [] } }));
}

/** What the details form sends: every field it shows (null clears one). */
export interface PhotosetFields {
  name: string;
  description: string | null;
  year: number | null;
  date: string | null;
  source_url: string | null;
  original_filename: string | null;
  tags: number[];
  performers: number[];
  studio_id: number | null;
}

export async function changePhotoset(
  id: number,
  body: Partial<PhotosetFields> & { cover_item_id?: number | null },
): Promise<PhotosetDetail> {
  return detailOr(await api.patch("/api/v1/photosets/{photoset_id}", { path: { photoset_id: id }, body }));
}

/** Put `items` just before `before` (null: at the end). Items this page does not show (a
 * missing file, a content filter) keep their places: nothing is dropped. */
export async function moveInPhotoset(id: number, items: number[], before: number | null): Promise<void> {
  await api.post("/api/v1/photosets/{photoset_id}/items/move", {
    path: { photoset_id: id },
    body: { items, before },
  });
}

export async function removeFromPhotoset(id: number, items: number[]): Promise<void> {
  await api.post("/api/v1/photosets/{photoset_id}/items/remove", { path: { photoset_id: id }, body: { items } });
}

export async function deletePhotoset(id: number): Promise<void> {
  await api.delete("/api/v1/photosets/{photoset_id}", { path: { photoset_id: id } });
}

export interface FromFoldersResult {
  created: { id: number; name: string; folder: string; count: number }[];
  skipped: number;
}

export async function photosetsFromFolders(folders: string[], recursive: boolean): Promise<FromFoldersResult> {
  const body = await api.post("/api/v1/photosets/from-folders", { body: { folders, recursive } });
  const created = Array.isArray(body.created) ? body.created : [];
  return {
    created: created.flatMap((c) => {
      const e = obj(c);
      const id = e?.id;
      if (typeof id !== "number") return [];
      return [{ id, name: str(e?.name) ?? "", folder: str(e?.folder) ?? "", count: Number(e?.item_count) || 0 }];
    }),
    skipped: Array.isArray(body.skipped) ? body.skipped.length : 0,
  };
}

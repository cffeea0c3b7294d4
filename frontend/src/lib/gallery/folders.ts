// The library's folders, a level at a time (GET /api/v1/folders?parent=…), for the filter
// panel's folder browser: the answer read with care, and the trail from the top.

export interface Folder {
  /** Relative to the library: "2024/trip". */
  path: string;
  name: string;
  /** Items in it and its sub-folders. */
  items: number;
  hasChildren: boolean;
}

type Json = Record<string, unknown>;

export function toFolders(body: unknown): Folder[] {
  const list = (body as Json | null | undefined)?.folders;
  if (!Array.isArray(list)) return [];
  const out: Folder[] = [];
  for (const entry of list as (Json | null)[]) {
    if (typeof entry?.path !== "string" || !entry.path) continue;
    const name = typeof entry.name === "string" && entry.name ? entry.name : entry.path.split("/").pop()!;
    const items = typeof entry.items === "number" && Number.isFinite(entry.items) ? entry.items : 0;
    out.push({ path: entry.path, name, items, hasChildren: entry.has_children === true });
  }
  return out;
}

/** The folder a folder is in ("" for the top). */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut < 0 ? "" : path.slice(0, cut);
}

/** The way down to `path`: the top ("") first, then each folder on the way. */
export function trail(path: string): { label: string; path: string }[] {
  const out = [{ label: "All folders", path: "" }];
  const parts = path.split("/").filter(Boolean);
  parts.forEach((part, i) => out.push({ label: part, path: parts.slice(0, i + 1).join("/") }));
  return out;
}

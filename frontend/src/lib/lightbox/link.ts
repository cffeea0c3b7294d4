// Links to the viewer: a page's URL whose hash names an item (`/photosets/3#item=42`)
// opens that item in the lightbox on load. The page says where the item is in its list
// (so that ←/→ go through it); an item it has not loaded (not in its first page) is
// fetched by id and shown on its own. This module is the page's, loaded with it; the
// viewer's code still comes on demand.
import { api } from "../api/client";
import { toItem } from "../browse/model";
import { messageOf } from "../browse/paging";
import type { OpenOptions } from "./mount";
import type { LightboxItem } from "./types";

/** The id a URL's hash names (`#item=42`), or null. */
export function linkedItem(hash: string): number | null {
  const match = /^#item=([1-9][0-9]*)$/.exec(hash);
  const id = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(id) ? id : null;
}

/** Open the viewer (its code fetched on the first open); `fallback` if it cannot load. */
export function openViewer(options: OpenOptions, fallback?: () => void): void {
  void import("./mount").then(({ openLightbox }) => openLightbox(options), fallback);
}

export async function fetchItem(id: number): Promise<LightboxItem> {
  const item = toItem(await api.get("/api/v1/items/{item_id}", { path: { item_id: id } }));
  if (!item) throw new Error("The server's answer is not an item.");
  return item;
}

/**
 * Once the page has its first items: the item the URL names, in the viewer. `find` gives
 * the page's own options when it has the item; `onerror` shows why it cannot be opened
 * (an unknown or hidden id, the server down). Back closes the viewer and stays on the page.
 */
export async function openLinked(find: (id: number) => OpenOptions | null, onerror: (message: string) => void): Promise<void> {
  const id = linkedItem(location.hash);
  if (id === null) return;
  // The viewer adds the #item entry itself, so that Back closes it (not the page).
  history.replaceState(history.state, "", location.pathname + location.search);
  const own = find(id);
  if (own) {
    openViewer(own);
    return;
  }
  try {
    openViewer({ items: [await fetchItem(id)], index: 0 });
  } catch (err) {
    onerror(`Could not open item ${id}: ${messageOf(err)}`);
  }
}

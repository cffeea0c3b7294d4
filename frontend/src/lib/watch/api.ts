// The watch page's calls to the JSON API (lib/api/client.ts), and the two it makes with
// fetch itself: the sprite WebVTT (text, not JSON) and view reports (keepalive, quiet).
import { api, buildUrl, CSRF_HEADER, csrfToken } from "../api/client";
import { readItem, readItems, type Named, type WatchItem } from "./item";
import { parseSpriteVtt, type SpriteCue } from "./vtt";
import { retryAfterMs, type SendResult, type Sender } from "./views";

export async function loadItem(id: number): Promise<WatchItem> {
  const json = await api.get("/api/v1/items/{item_id}", { path: { item_id: id } });
  const item = readItem(json);
  if (!item) throw new Error("The server's answer is not an item.");
  return item;
}

export async function loadRelated(id: number, limit = 12): Promise<WatchItem[]> {
  const json = await api.get("/api/v1/items/{item_id}/related", { path: { item_id: id }, query: { limit } });
  return readItems(json);
}

/** The sprite cues; none when the sprites are not made yet or cannot be read. */
export async function loadSprites(url: string): Promise<SpriteCue[]> {
  try {
    const res = await fetch(url, { credentials: "same-origin" });
    if (!res.ok) return [];
    return parseSpriteVtt(await res.text(), new URL(url, location.href).href);
  } catch {
    return [];
  }
}

/** A Sender for ViewReporter: 503 and 429 (and no answer) are tried again later. */
export function viewSender(id: number): Sender {
  const url = buildUrl("/api/v1/items/{item_id}/views", { item_id: id });
  return async (report, { keepalive }): Promise<SendResult> => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(report),
        credentials: "same-origin",
        keepalive,
      });
    } catch {
      return { ok: false, retry: true };
    }
    if (res.ok) return { ok: true };
    const busy = res.status === 503 || res.status === 429 || res.status === 502 || res.status === 504;
    return { ok: false, retry: busy, retryAfter: retryAfterMs(res.headers.get("retry-after")) };
  };
}

/** Your rating (0-100; null clears it): what the server then holds as yours. */
export async function setRating(id: number, value: number | null): Promise<number | null> {
  const path = { item_id: id };
  const json = value === null
    ? await api.delete("/api/v1/items/{item_id}/rating", { path })
    : await api.put("/api/v1/items/{item_id}/rating", { path, body: { value } });
  return typeof json.mine === "number" ? json.mine : null;
}

export async function setFavorite(id: number, on: boolean): Promise<boolean> {
  const path = { item_id: id };
  const json = on
    ? await api.put("/api/v1/items/{item_id}/favorite", { path })
    : await api.delete("/api/v1/items/{item_id}/favorite", { path });
  return json.favorite === true;
}

/** Put a tag (an id, or a name: a new name makes a new tag) on the item. */
export async function attachTag(id: number, tag: number | string): Promise<void> {
  await api.post("/api/v1/tags/attach", { body: { tags: [tag], items: [id], photosets: [] } });
}

export async function detachTag(id: number, tag: number): Promise<void> {
  await api.post("/api/v1/tags/detach", { body: { tags: [tag], items: [id], photosets: [] } });
}

/** Tags whose name or alias starts with `q`, the most used first. */
export async function searchTags(q: string, signal?: AbortSignal): Promise<Array<Named & { count: number }>> {
  const json = await api.get("/api/v1/tags", { query: { q: q || undefined, limit: 8, sort: "-count" }, signal });
  const list = Array.isArray(json.tags) ? json.tags : [];
  const out: Array<Named & { count: number }> = [];
  for (const entry of list as unknown[]) {
    if (typeof entry !== "object" || entry === null) continue;
    const { id, name, count } = entry as Record<string, unknown>;
    if (typeof id === "number" && typeof name === "string") {
      out.push({ id, name, count: typeof count === "number" ? count : 0 });
    }
  }
  return out;
}

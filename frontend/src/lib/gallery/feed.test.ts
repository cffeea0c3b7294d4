import { describe, expect, it } from "vitest";
import { Feed, type Page } from "./feed";

function pages(total: number): (cursor: string | null, limit: number) => Promise<Page<number>> {
  return async (cursor, limit) => {
    const start = cursor ? Number(cursor) : 0;
    const items = Array.from({ length: Math.min(limit, total - start) }, (_, i) => start + i);
    const next = start + items.length < total ? String(start + items.length) : null;
    return { items, next_cursor: next };
  };
}

describe("Feed", () => {
  it("follows the cursor to the end", async () => {
    const feed = new Feed(pages(25));
    expect(await feed.more(10)).toHaveLength(10);
    expect(await feed.more(10)).toHaveLength(10);
    expect(await feed.more(10)).toHaveLength(5);
    expect(feed.done).toBe(true);
    expect(await feed.more(10)).toBeNull();
    expect(feed.items).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it("asks once at a time", async () => {
    const feed = new Feed(pages(100));
    const [a, b] = await Promise.all([feed.more(10), feed.more(10)]);
    expect(a).toHaveLength(10);
    expect(b).toBeNull();
  });

  it("keeps an error until retried", async () => {
    let fail = true;
    const feed = new Feed<number>(async (cursor, limit, signal) => {
      if (fail) throw new Error("down");
      return pages(5)(cursor, limit);
    });
    expect(await feed.more(10)).toBeNull();
    expect(String(feed.error)).toContain("down");
    fail = false;
    expect(await feed.more(10)).toBeNull();
    feed.retry();
    expect(await feed.more(10)).toHaveLength(5);
  });

  it("drops a page that arrives after it was stopped", async () => {
    let release: () => void = () => {};
    const feed = new Feed<number>(async (cursor, limit) => {
      await new Promise<void>((r) => (release = r));
      return pages(5)(cursor, limit);
    });
    const pending = feed.more(10);
    feed.stop();
    release();
    expect(await pending).toBeNull();
    expect(feed.items).toEqual([]);
  });
});

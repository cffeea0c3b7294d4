import { describe, expect, it } from "vitest";
import { messageOf, Pager, type Page } from "./paging";

/** A fake API: pages of `size` from 1…total, the cursor being the last number sent. */
function pages(total: number, size: number, calls: (string | null)[] = []) {
  return async (cursor: string | null): Promise<Page<number>> => {
    calls.push(cursor);
    const start = cursor === null ? 1 : Number(cursor) + 1;
    const items = Array.from({ length: Math.max(0, Math.min(size, total - start + 1)) }, (_, i) => start + i);
    const last = items[items.length - 1];
    return { items, next: last !== undefined && last < total ? String(last) : null };
  };
}

describe("Pager", () => {
  it("follows the cursor to the end", async () => {
    const calls: (string | null)[] = [];
    const pager = new Pager(pages(5, 2, calls));
    expect(await pager.more()).toEqual([1, 2]);
    expect(await pager.more()).toEqual([3, 4]);
    expect(await pager.more()).toEqual([5]);
    expect(pager.done).toBe(true);
    expect(await pager.more()).toBeNull();
    expect(pager.items).toEqual([1, 2, 3, 4, 5]);
    expect(calls).toEqual([null, "2", "4"]);
  });

  it("starts after a page already shown", async () => {
    const pager = new Pager(pages(4, 2), { items: [1, 2], cursor: "2" });
    expect(pager.done).toBe(false);
    await pager.more();
    expect(pager.items).toEqual([1, 2, 3, 4]);
    expect(new Pager(pages(2, 2), { items: [1, 2], cursor: null }).done).toBe(true);
  });

  it("asks once at a time", async () => {
    const calls: (string | null)[] = [];
    const pager = new Pager(pages(10, 2, calls));
    const a = pager.more();
    const b = pager.more();
    expect(await b).toBeNull();
    await a;
    expect(calls).toEqual([null]);
  });

  it("keeps an error until retry, then asks for the same page", async () => {
    let fail = true;
    const inner = pages(3, 2);
    const pager = new Pager<number>(async (cursor) => {
      if (fail && cursor === "2") throw new Error("offline");
      return inner(cursor);
    });
    await pager.more();
    expect(await pager.more()).toBeNull();
    expect(messageOf(pager.error)).toBe("offline");
    expect(await pager.more()).toBeNull();
    fail = false;
    pager.retry();
    expect(await pager.more()).toEqual([3]);
    expect(pager.items).toEqual([1, 2, 3]);
  });

  it("drops a page answered after stop()", async () => {
    let release!: () => void;
    const pager = new Pager<number>(async () => {
      await new Promise<void>((r) => (release = r));
      return { items: [1], next: null };
    });
    const pending = pager.more();
    pager.stop();
    release();
    expect(await pending).toBeNull();
    expect(pager.items).toEqual([]);
  });

  it("fetches every page for all()", async () => {
    const pager = new Pager(pages(7, 3));
    expect(await pager.all()).toBe(true);
    expect(pager.items).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("messageOf", () => {
  it("reads errors, strings and the rest", () => {
    expect(messageOf(new Error("boom"))).toBe("boom");
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf(42)).toBe("Something went wrong.");
  });
});

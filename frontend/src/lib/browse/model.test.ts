import { describe, expect, it } from "vitest";
import { duration, itemHref, longDate, plural, safeHttpUrl, toEntry, toItem, toPhotosetDetail } from "./model";

const thumbnails = { small: "/t/s", medium: "/t/m", large: "/t/l" };

describe("entries", () => {
  it("prefers a performer's chosen image to the cover", () => {
    const entry = toEntry({
      id: 2,
      name: "Ann",
      count: 4,
      aliases: ["A"],
      image: "/api/v1/items/9/thumbnail/medium",
      cover: { id: 5, thumbnails, color: "#112233", width: 40, height: 30 },
    });
    expect(entry?.picture).toEqual({ src: "/api/v1/items/9/thumbnail/medium", color: "#112233", width: null, height: null });
  });

  it("uses the cover, and copes without one", () => {
    const withCover = toEntry({ id: 1, name: "Beach", count: 3, cover: { id: 5, thumbnails, color: "#abcdef", width: 4, height: 3 } });
    expect(withCover?.picture).toEqual({ src: "/t/m", color: "#abcdef", width: 4, height: 3 });
    const bare = toEntry({ id: 1, name: "Beach", count: 0, cover: null });
    expect(bare?.picture.src).toBeNull();
    expect(toEntry({ id: "1", name: "x" })).toBeNull();
  });

  it("lets no odd colour through to a style", () => {
    const entry = toEntry({ id: 1, name: "x", cover: { id: 2, thumbnails, color: "red;background:url(x)" } });
    expect(entry?.picture.color).toBeNull();
  });
});

describe("items", () => {
  it("reads what a tile needs, the title before the name", () => {
    const item = toItem({ id: 3, name: "a.mp4", title: "Trip", kind: "video", video: { duration: 65 }, position: 2, original: "/o" });
    expect(item).toMatchObject({ id: 3, label: "Trip", kind: "video", duration: 65, position: 2 });
    expect(itemHref(item!)).toBe("/watch/3");
    expect(itemHref({ id: 4, kind: "image", original: "/api/v1/items/4/original" })).toBe("/api/v1/items/4/original");
  });
});

describe("photosets", () => {
  it("reads a set's detail", () => {
    const set = toPhotosetDetail({
      id: 7,
      name: "Holiday",
      year: 2024,
      date: "2024-05-01T00:00:00",
      item_count: 2,
      cover: { id: 1, kind: "image", name: "a.jpg", thumbnails },
      tags: [{ id: 1, name: "Beach" }, { bad: true }],
      performers: [],
      studio: null,
      description: "Two weeks",
      source_url: "https://example.com/x",
      original_filename: "2024/Holiday",
      cover_item_id: null,
      items: [{ id: 1, name: "a.jpg", kind: "image" }],
      items_next_cursor: "abc",
    });
    expect(set).toMatchObject({ id: 7, itemCount: 2, tags: [{ id: 1, name: "Beach" }], itemsCursor: "abc" });
    expect(set?.cover?.picture.src).toBe("/t/m");
    expect(set?.items.map((i) => i.id)).toEqual([1]);
  });
});

describe("formatting", () => {
  it("links http and https only", () => {
    expect(safeHttpUrl("https://example.com/a")).toBe("https://example.com/a");
    expect(safeHttpUrl("http://example.com")).toBe("http://example.com/");
    expect(safeHttpUrl("javascript:alert(1)")).toBeNull();
    expect(safeHttpUrl("data:text/html,x")).toBeNull();
    expect(safeHttpUrl("not a url")).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
  });

  it("says counts, lengths and dates", () => {
    expect(plural(1, "item")).toBe("1 item");
    expect(plural(1204, "item")).toBe("1,204 items");
    expect(duration(65)).toBe("1:05");
    expect(duration(3723)).toBe("1:02:03");
    expect(longDate("2024-05-01T00:00:00")).toBe("1 May 2024");
    expect(longDate("garbage")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { aspect, href, label, toItem, toItems } from "./items";

const raw = {
  id: 7,
  name: "IMG_1.jpg",
  title: null,
  path: "2024/IMG_1.jpg",
  folder: "2024",
  kind: "video",
  width: 1920,
  height: 1080,
  color: "#336699",
  date: "2024-05-03T10:00:00",
  error: null,
  original: "/api/v1/items/7/original",
  thumbnails: { small: "/s", medium: "/m", large: "/l" },
  video: { duration: 12.5 },
  previews: { strip: "/strip.jpg", strip_frames: 10, teaser_small: "/t.mp4" },
  caption: "hi",
  favorite: true,
  rating: { average: 80, count: 1, mine: 80 },
  tags: [{ id: 1, name: "a" }, { id: "x" }],
  extra: "ignored",
};

describe("items from the API", () => {
  it("keeps what a tile needs", () => {
    const item = toItem(raw)!;
    expect(item).toMatchObject({
      id: 7,
      kind: "video",
      color: "#336699",
      duration: 12.5,
      strip: "/strip.jpg",
      stripFrames: 10,
      teaser: "/t.mp4",
      favorite: true,
      rating: 80,
      tags: [{ id: 1, name: "a" }],
    });
    expect(aspect(item)).toBeCloseTo(16 / 9);
    expect(href(item)).toBe("/watch/7");
    expect(label(item)).toBe("IMG_1.jpg");
    expect(label({ ...item, title: "Holiday" })).toBe("Holiday");
  });

  it("reads with care", () => {
    expect(toItem(null)).toBeNull();
    expect(toItem({ id: "7" })).toBeNull();
    const bare = toItem({ id: 3, color: "red; background: url(x)", thumbnails: {} })!;
    expect(bare.color).toBeNull();
    expect(bare.thumbnails).toBeNull();
    expect(aspect(bare)).toBe(1);
    expect(href(bare)).toBe("/api/v1/items/3/original");
    expect(toItems([raw, 5, { id: 8 }]).map((i) => i.id)).toEqual([7, 8]);
    expect(toItems("nope")).toEqual([]);
  });
});

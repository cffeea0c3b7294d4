import { describe, expect, it } from "vitest";
import { aspectRatio, httpUrl, itemIdFromPath, readItem, readItems } from "./item";

const JSON_ITEM = {
  id: 7,
  name: "clip.mp4",
  title: null,
  path: "Clips/clip.mp4",
  kind: "video",
  size: 1234,
  width: 1920,
  height: 1080,
  color: "#112233",
  date: "2024-05-03T10:00:00",
  taken_at: null,
  error: null,
  thumbnails: { small: "/t/s", medium: "/t/m", large: "/t/l" },
  video: {
    duration: 30.5,
    container: "mp4",
    video_codec: "h264",
    audio_codec: "aac",
    fps: 25,
    bit_rate: 800000,
    audio_channels: 2,
    playable: "direct",
    stream: "/api/v1/items/7/stream",
    hls: "/api/v1/items/7/hls/index.m3u8",
  },
  previews: { sprites: "/api/v1/previews/ab/sprites/sprites.vtt?v=160" },
  views: { count: 2, last_viewed_at: "2024-05-04T10:00:00", position: 12.5 },
  rating: { average: 70, count: 2, mine: 60 },
  favorite: true,
  tags: [{ id: 1, name: "beach" }, { id: "x", name: "bad" }],
  performers: [{ id: 3, name: "Ann" }],
  studio: { id: 4, name: "Studio" },
  caption: "A day out",
  source_url: "https://example.com/v/1",
};

describe("readItem", () => {
  it("reads what the page shows", () => {
    const item = readItem(JSON_ITEM)!;
    expect(item.heading).toBe("clip.mp4");
    expect(item.video?.playable).toBe("direct");
    expect(item.video?.videoCodec).toBe("h264");
    expect(item.sprites).toBe("/api/v1/previews/ab/sprites/sprites.vtt?v=160");
    expect(item.views).toEqual({ count: 2, lastViewedAt: "2024-05-04T10:00:00", position: 12.5 });
    expect(item.rating).toEqual({ average: 70, count: 2, mine: 60 });
    expect(item.tags).toEqual([{ id: 1, name: "beach" }]);
    expect(item.studio).toEqual({ id: 4, name: "Studio" });
    expect(item.sourceUrl).toBe("https://example.com/v/1");
    expect(item.favorite).toBe(true);
  });

  it("calls it by its title when it has one", () => {
    expect(readItem({ ...JSON_ITEM, title: "  Day out  " })!.heading).toBe("Day out");
    expect(readItem({ ...JSON_ITEM, title: "   " })!.heading).toBe("clip.mp4");
  });

  it("keeps only http(s) source URLs", () => {
    expect(readItem({ ...JSON_ITEM, source_url: "javascript:alert(1)" })!.sourceUrl).toBeNull();
    expect(readItem({ ...JSON_ITEM, source_url: "data:text/html,x" })!.sourceUrl).toBeNull();
    expect(readItem({ ...JSON_ITEM, source_url: "//evil.example" })!.sourceUrl).toBeNull();
    expect(readItem({ ...JSON_ITEM, source_url: "HTTP://Example.com/a" })!.sourceUrl).toBe("http://example.com/a");
  });

  it("copes with an item not probed yet, or a photo", () => {
    const item = readItem({ id: 9, name: "new.mkv", kind: "video", video: null, previews: null })!;
    expect(item.video).toBeNull();
    expect(item.sprites).toBeNull();
    expect(item.views).toEqual({ count: 0, lastViewedAt: null, position: null });
    expect(item.tags).toEqual([]);
    expect(item.studio).toBeNull();
  });

  it("plays through HLS when the server does not say how", () => {
    const item = readItem({ ...JSON_ITEM, video: { ...JSON_ITEM.video, playable: "teleport" } })!;
    expect(item.video?.playable).toBe("transcode");
  });

  it("is null for what is not an item", () => {
    expect(readItem(null)).toBeNull();
    expect(readItem([])).toBeNull();
    expect(readItem({ name: "x" })).toBeNull();
  });

  it("drops a colour that is not one", () => {
    expect(readItem({ ...JSON_ITEM, color: "red;background:url(x)" })!.color).toBeNull();
  });
});

describe("readItems", () => {
  it("reads a list answer", () => {
    expect(readItems({ items: [JSON_ITEM, { bad: 1 }] }).map((i) => i.id)).toEqual([7]);
    expect(readItems({})).toEqual([]);
  });
});

describe("httpUrl", () => {
  it("is null for anything but http(s)", () => {
    expect(httpUrl(undefined)).toBeNull();
    expect(httpUrl("ftp://x/y")).toBeNull();
    expect(httpUrl("https://")).toBeNull();
    expect(httpUrl("https://a.example/x y")).toBe("https://a.example/x%20y");
  });
});

describe("itemIdFromPath", () => {
  it("reads the id", () => {
    expect(itemIdFromPath("/watch/12")).toBe(12);
    expect(itemIdFromPath("/watch/12/")).toBe(12);
  });
  it("is null for anything else", () => {
    expect(itemIdFromPath("/watch/")).toBeNull();
    expect(itemIdFromPath("/watch/abc")).toBeNull();
    expect(itemIdFromPath("/watch/1/2")).toBeNull();
    expect(itemIdFromPath("/watch/99999999999999999")).toBeNull();
  });
});

describe("aspectRatio", () => {
  it("is the video's, else 16:9", () => {
    expect(aspectRatio({ width: 1080, height: 1920 })).toBeCloseTo(0.5625);
    expect(aspectRatio({ width: null, height: 1080 })).toBeCloseTo(16 / 9);
    expect(aspectRatio(null)).toBeCloseTo(16 / 9);
  });
});

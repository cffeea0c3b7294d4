import { describe, expect, it } from "vitest";
import {
  browseView,
  discoverSearch,
  galleryHref,
  hasFilters,
  listSearch,
  MAX_SEED,
  NAME_SORTS,
  newSeed,
  parseDiscover,
  parseList,
  parsePhotosetFilters,
  parseSeed,
  photosetRoute,
  PHOTOSET_SORTS,
} from "./url";

describe("routes", () => {
  it("tells the browse pages apart", () => {
    expect(browseView("/tags")).toBe("tags");
    expect(browseView("/performers/")).toBe("performers");
    expect(browseView("/studios")).toBe("studios");
    expect(browseView("/discover")).toBe("discover");
    expect(browseView("/photosets")).toBeNull();
  });

  it("reads a photoset's id", () => {
    expect(photosetRoute("/photosets")).toEqual({ page: "list" });
    expect(photosetRoute("/photosets/")).toEqual({ page: "list" });
    expect(photosetRoute("/photosets/42")).toEqual({ page: "detail", id: 42 });
    expect(photosetRoute("/photosets/0")).toEqual({ page: "unknown" });
    expect(photosetRoute("/photosets/abc")).toEqual({ page: "unknown" });
    expect(photosetRoute("/photosets/99999999999999999")).toEqual({ page: "unknown" });
  });

  it("links a card to the gallery filtered by it", () => {
    expect(galleryHref("tags", 3)).toBe("/?tag=3");
    expect(galleryHref("performers", 4)).toBe("/?performer=4");
    expect(galleryHref("studios", 5)).toBe("/?studio=5");
  });
});

describe("a list's search and sort", () => {
  it("parses, with defaults for what is missing or odd", () => {
    expect(parseList("?q=be&sort=-count", NAME_SORTS, "name")).toEqual({ q: "be", sort: "-count" });
    expect(parseList("?sort=size", NAME_SORTS, "name")).toEqual({ q: "", sort: "name" });
    expect(parseList("", PHOTOSET_SORTS, "-created")).toEqual({ q: "", sort: "-created" });
  });

  it("writes only what differs from the default, keeping other parameters", () => {
    expect(listSearch({ q: "", sort: "name" }, "name")).toBe("");
    expect(listSearch({ q: " beach ", sort: "-count" }, "name")).toBe("?q=beach&sort=-count");
    expect(listSearch({ q: "x", sort: "-created" }, "-created", "?year=2024&q=old")).toBe("?year=2024&q=x");
  });

  it("round-trips", () => {
    const state = { q: "a b&c", sort: "-name" as const };
    expect(parseList(listSearch(state, "name"), NAME_SORTS, "name")).toEqual(state);
  });
});

describe("photoset filters", () => {
  it("keeps good ids and years only", () => {
    const f = parsePhotosetFilters("?tag=3&tag=3&tag=x&performer=7&studio=-1&year=2024");
    expect(f).toEqual({ year: 2024, tag: [3], performer: [7], studio: [] });
    expect(hasFilters(f)).toBe(true);
    expect(hasFilters(parsePhotosetFilters("?year=99"))).toBe(false);
  });
});

describe("discover", () => {
  it("parses seeds strictly", () => {
    expect(parseSeed("0")).toBe(0);
    expect(parseSeed(" 42 ")).toBe(42);
    expect(parseSeed(String(MAX_SEED))).toBe(MAX_SEED);
    expect(parseSeed(String(MAX_SEED + 1))).toBeNull();
    expect(parseSeed("-1")).toBeNull();
    expect(parseSeed("1e3")).toBeNull();
    expect(parseSeed("")).toBeNull();
    expect(parseSeed(null)).toBeNull();
  });

  it("keeps the seed and kind in the URL", () => {
    expect(parseDiscover("?seed=7&kind=video")).toEqual({ seed: 7, kind: "video" });
    expect(parseDiscover("?kind=audio")).toEqual({ seed: null, kind: null });
    expect(discoverSearch({ seed: 7, kind: null })).toBe("?seed=7");
    expect(discoverSearch({ seed: 7, kind: "image" })).toBe("?seed=7&kind=image");
    expect(parseDiscover(discoverSearch({ seed: 123, kind: "image" }))).toEqual({ seed: 123, kind: "image" });
  });

  it("draws a new seed in range, never the one shown", () => {
    expect(newSeed(null, () => 0)).toBe(0);
    expect(newSeed(0, () => 0)).toBe(1);
    expect(newSeed(null, () => 0.9999999999)).toBe(MAX_SEED);
    expect(newSeed(MAX_SEED, () => 0.9999999999)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const seed = newSeed(5);
      expect(seed).not.toBe(5);
      expect(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED).toBe(true);
    }
  });
});

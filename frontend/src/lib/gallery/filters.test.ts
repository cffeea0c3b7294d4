import { describe, expect, it } from "vitest";
import {
  chips,
  emptyFilters,
  emptyNames,
  filtersToQuery,
  filtersToSearch,
  heading,
  narrows,
  parseFilters,
  sameFilters,
} from "./filters";

describe("the view in the URL", () => {
  it("reads every filter and writes it back in one order", () => {
    const search =
      "?sort=name&tag=3&tag=5&kind=video&folder=2024%2Ftrip&recursive=1&performer=7&studio=2" +
      "&favorite=1&rating_min=3&date_from=2024-01-01&date_to=2024-12-31&orientation=portrait&untagged=0";
    const f = parseFilters(search);
    expect(f.tag).toEqual(["3", "5"]);
    expect(f.kind).toBe("video");
    expect(f.folder).toBe("2024/trip");
    expect(f.recursive).toBe(true);
    expect(f.untagged).toBe(false);
    expect(f.favorite).toBe(true);
    expect(f.sort).toBe("name");
    expect(filtersToSearch(f)).toBe(
      "?kind=video&folder=2024%2Ftrip&recursive=1&tag=3&tag=5&performer=7&studio=2&favorite=1" +
        "&rating_min=3&date_from=2024-01-01&date_to=2024-12-31&orientation=portrait&sort=name",
    );
    expect(sameFilters(parseFilters(filtersToSearch(f)), f)).toBe(true);
  });

  it("gives the whole library, newest first, an empty query", () => {
    expect(filtersToSearch(emptyFilters())).toBe("");
    expect(filtersToSearch(parseFilters("?sort=-date&tag=&other=1"))).toBe("");
    expect(narrows(parseFilters("?sort=name"))).toBe(false);
    expect(narrows(parseFilters("?favorite=yes"))).toBe(true);
  });

  it("keeps what it does not understand for the server to refuse", () => {
    const f = parseFilters("?kind=%3Cimg%20src%3Dx%3E&rating_min=nine");
    expect(f.kind).toBe("<img src=x>");
    expect(filtersToQuery(f)).toEqual({ kind: "<img src=x>", rating_min: "nine" });
  });

  it("makes the API's query: lists repeated, flags true, no sort for counts", () => {
    const f = parseFilters("?tag=1&tag=2&favorite=1&sort=size&recursive=1");
    expect(filtersToQuery(f)).toEqual({ tag: ["1", "2"], favorite: true, sort: "size" });
    expect(filtersToQuery(f, false)).toEqual({ tag: ["1", "2"], favorite: true });
    const folder = parseFilters("?folder=a/b/&recursive=true");
    expect(filtersToQuery(folder)).toEqual({ folder: "a/b", recursive: true });
  });
});

describe("chips and the heading", () => {
  it("names each filter, each removable on its own", () => {
    const names = emptyNames();
    names.tag.set("3", "Beach");
    const f = parseFilters("?tag=3&tag=9&kind=image&rating_min=4&date_from=2024-01-01");
    const list = chips(f, names);
    expect(list.map((c) => c.label)).toEqual([
      "Photos",
      "Tag: Beach",
      "Tag: #9",
      "Rated ★★★★ or more",
      expect.stringContaining("2024"),
    ]);
    const noBeach = list[1]!.without;
    expect(noBeach.tag).toEqual(["9"]);
    expect(f.tag).toEqual(["3", "9"]); // the view itself is untouched
    expect(filtersToSearch(list[0]!.without)).toBe("?tag=3&tag=9&rating_min=4&date_from=2024-01-01");
  });

  it("titles a view by the one thing it is about", () => {
    const names = emptyNames();
    names.tag.set("3", "Beach");
    expect(heading(parseFilters("?tag=3"), names)).toEqual({ title: "Beach", kind: "Tag", trail: [] });
    expect(heading(parseFilters("?tag=3&kind=video"), names).title).toBe("Beach");
    expect(heading(parseFilters("?performer=4")).title).toBe("Performer #4");
    expect(heading(parseFilters("?folder=2024/summer/trip"))).toEqual({
      title: "trip",
      kind: "Folder",
      trail: [
        { label: "2024", folder: "2024" },
        { label: "summer", folder: "2024/summer" },
      ],
    });
    expect(heading(parseFilters("")).title).toBe("Library");
    expect(heading(parseFilters("?kind=video")).title).toBe("Videos");
    expect(heading(parseFilters("?favorite=1")).title).toBe("Favourites");
    expect(heading(parseFilters("?tag=1&tag=2")).title).toBe("Library");
  });
});

import { describe, expect, it } from "vitest";
import { parentOf, toFolders, trail } from "./folders";

describe("folders", () => {
  it("reads the answer with care", () => {
    const body = {
      parent: "2024",
      folders: [
        { path: "2024/trip", name: "trip", items: 12, has_children: true },
        { path: "2024/misc", items: "x" },
        { name: "no path" },
        null,
      ],
    };
    expect(toFolders(body)).toEqual([
      { path: "2024/trip", name: "trip", items: 12, hasChildren: true },
      { path: "2024/misc", name: "misc", items: 0, hasChildren: false },
    ]);
    expect(toFolders(null)).toEqual([]);
    expect(toFolders({ folders: "no" })).toEqual([]);
  });

  it("goes up and down the tree", () => {
    expect(parentOf("2024/trip/day1")).toBe("2024/trip");
    expect(parentOf("2024")).toBe("");
    expect(trail("")).toEqual([{ label: "All folders", path: "" }]);
    expect(trail("2024/trip")).toEqual([
      { label: "All folders", path: "" },
      { label: "2024", path: "2024" },
      { label: "trip", path: "2024/trip" },
    ]);
  });
});

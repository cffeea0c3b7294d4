import { describe, expect, it } from "vitest";
import { eventData, jobChange, jobRefreshes, libraryChange, libraryRefreshes } from "./live";

describe("live events", () => {
  it("reads library and job events with care", () => {
    expect(libraryChange('{"new": 3, "changed": 0, "moved": "x"}')).toEqual({ new: 3, changed: 0, moved: 0, missing: 0 });
    expect(libraryChange("not json")).toBeNull();
    expect(jobChange('{"kind": "thumbnail", "status": "done", "id": 4}')).toEqual({ kind: "thumbnail", status: "done" });
    expect(jobChange('{"kind": 3}')).toBeNull();
    expect(eventData("null")).toBeNull();
  });

  it("turns events into the refreshes they ask for", () => {
    expect(libraryRefreshes({ new: 0, changed: 0, moved: 0, missing: 2 })).toEqual(["library"]);
    expect(libraryRefreshes({ new: 0, changed: 0, moved: 0, missing: 0 })).toEqual([]);
    expect(jobRefreshes({ kind: "thumbnail", status: "done" })).toEqual(["thumbnails", "bare"]);
    expect(jobRefreshes({ kind: "probe", status: "done" })).toEqual(["bare"]);
    expect(jobRefreshes({ kind: "probe", status: "running" })).toEqual([]);
    expect(jobRefreshes({ kind: "sprite", status: "done" })).toEqual([]);
  });
});

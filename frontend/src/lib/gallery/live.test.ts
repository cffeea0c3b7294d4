import { describe, expect, it } from "vitest";
import { eventData, jobChange, libraryChange } from "./live";

describe("live events", () => {
  it("reads library and job events with care", () => {
    expect(libraryChange('{"new": 3, "changed": 0, "moved": "x"}')).toEqual({ new: 3, changed: 0, moved: 0, missing: 0 });
    expect(libraryChange("not json")).toBeNull();
    expect(jobChange('{"kind": "thumbnail", "status": "done", "id": 4}')).toEqual({ kind: "thumbnail", status: "done" });
    expect(jobChange('{"kind": 3}')).toBeNull();
    expect(eventData("null")).toBeNull();
  });
});

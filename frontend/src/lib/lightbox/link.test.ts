import { describe, expect, it } from "vitest";
import { linkedItem } from "./link";

describe("links to the viewer", () => {
  it("reads the item's id from the hash", () => {
    expect(linkedItem("#item=42")).toBe(42);
    expect(linkedItem("#item=1")).toBe(1);
  });

  it("ignores anything else", () => {
    for (const hash of ["", "#", "#item=", "#item=0", "#item=-3", "#item=4x", "#item=07", "#items=4", "#item=99999999999999999999"]) {
      expect(linkedItem(hash)).toBeNull();
    }
  });
});

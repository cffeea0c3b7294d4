import { describe, expect, it } from "vitest";
import { chunks } from "./chunks";

describe("chunks", () => {
  it("cuts lists into pieces of at most the size", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([1, 2], 10_000)).toEqual([[1, 2]]);
    expect(chunks([], 3)).toEqual([]);
  });
});

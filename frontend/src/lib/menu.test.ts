import { describe, expect, it } from "vitest";
import { menuMove } from "./menu";

describe("menuMove", () => {
  it("walks round the items", () => {
    expect(menuMove("ArrowDown", -1, 3)).toBe(0);
    expect(menuMove("ArrowDown", 0, 3)).toBe(1);
    expect(menuMove("ArrowDown", 2, 3)).toBe(0);
    expect(menuMove("ArrowUp", -1, 3)).toBe(2);
    expect(menuMove("ArrowUp", 0, 3)).toBe(2);
    expect(menuMove("ArrowUp", 2, 3)).toBe(1);
  });

  it("jumps to the ends, and leaves other keys alone", () => {
    expect(menuMove("Home", 2, 3)).toBe(0);
    expect(menuMove("End", 0, 3)).toBe(2);
    expect(menuMove("Enter", 1, 3)).toBeNull();
    expect(menuMove("ArrowDown", -1, 0)).toBeNull();
  });
});

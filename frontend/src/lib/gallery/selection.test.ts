import { describe, expect, it } from "vitest";
import { dragged, extend, selectedItems, toggle } from "./selection";

const items = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i }));

describe("select mode", () => {
  it("toggles one item", () => {
    const s = new Set<number>();
    expect(toggle(s, 101)).toBe(true);
    expect(toggle(s, 101)).toBe(false);
    expect(s.size).toBe(0);
  });

  it("extends a range from the anchor, either way, to the anchor's state", () => {
    const s = new Set<number>([102]);
    extend(s, items, 2, 6);
    expect([...s].sort()).toEqual([102, 103, 104, 105, 106]);
    extend(s, items, 2, 0);
    expect(s.has(100) && s.has(101)).toBe(true);
    s.delete(105);
    extend(s, items, 5, 3); // the anchor is off: the range goes off
    expect([...s].sort()).toEqual([100, 101, 102, 106]);
  });

  it("adds what a drag touches to what was selected", () => {
    const before = new Set([100]);
    const after = dragged(before, items, [3, 4, 99]);
    expect([...after].sort()).toEqual([100, 103, 104]);
    expect(before.size).toBe(1);
    expect(selectedItems(after, items).map((i) => i.id)).toEqual([100, 103, 104]);
  });
});

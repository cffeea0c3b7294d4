import { describe, expect, it } from "vitest";
import { dragged, extend, Selection, selectedItems, toggle } from "./selection";

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

describe("Selection", () => {
  it("toggles on click, sets a range on shift-click from the last clicked", () => {
    const s = new Selection();
    s.click(items, 2);
    s.click(items, 5, true);
    expect(s.ids().sort()).toEqual([102, 103, 104, 105]);
    s.click(items, 3); // off; the anchor moves here
    s.click(items, 4, true); // the anchor is off: the range goes off
    expect(s.ids().sort()).toEqual([102, 105]);
    expect(s.version).toBe(4);
  });

  it("a shift-click with no anchor toggles one", () => {
    const s = new Selection();
    s.click(items, 7, true);
    expect(s.ids()).toEqual([107]);
    s.click(items, 99); // not loaded: nothing changes
    expect(s.ids()).toEqual([107]);
  });

  it("a drag adds what it touches now to what was selected when it began", () => {
    const s = new Selection();
    s.click(items, 0);
    s.dragStart();
    s.dragTo(items, [4, 5, 6]);
    s.dragTo(items, [4]); // the rectangle shrank
    expect(s.ids().sort()).toEqual([100, 104]);
  });

  it("selects all loaded, clears everything (and the anchor)", () => {
    const s = new Selection();
    s.all(items);
    expect(s.size).toBe(10);
    s.clear();
    expect(s.size).toBe(0);
    s.click(items, 3, true); // no anchor after clear: one item
    expect(s.ids()).toEqual([103]);
  });
});

import { describe, expect, it } from "vitest";
import { JustifiedLayout } from "./justify";
import { anchorAt, band, blocksIn, firstBelow, hits, neighbour } from "./virtual";

function grid(n = 1000): JustifiedLayout {
  const layout = new JustifiedLayout({ width: 1000, rowHeight: 200, gap: 4, headerHeight: 0 });
  layout.append(Array.from({ length: n }, (_, i) => [1, 1.5, 0.75][i % 3]!));
  return layout;
}

describe("the virtual window", () => {
  it("finds the blocks that meet a band, by binary search", () => {
    const layout = grid();
    const { blocks } = layout;
    expect(firstBelow(blocks, -100)).toBe(0);
    expect(firstBelow(blocks, layout.height + 1)).toBe(blocks.length);
    const [first, end] = blocksIn(blocks, 5000, 5800);
    expect(first).toBeGreaterThan(0);
    for (let b = first; b < end; b++) {
      const block = blocks[b]!;
      expect(block.top).toBeLessThan(5800);
      expect(block.top + block.height).toBeGreaterThan(5000);
    }
    expect(blocks[first - 1]!.top + blocks[first - 1]!.height).toBeLessThanOrEqual(5000);
    expect(blocks[end]!.top).toBeGreaterThanOrEqual(5800);
  });

  it("renders a bounded number of rows wherever the view is", () => {
    const layout = grid(100_000);
    const sizes = new Set<number>();
    for (const y of [0, 1e5, 1e6, layout.height / 2, layout.height - 800]) {
      const { first, end } = band(layout.blocks, y, y + 800, 800);
      sizes.add(end - first);
      expect(end - first).toBeLessThan(20);
      expect(end - first).toBeGreaterThan(4);
    }
    expect(band(layout.blocks, layout.height + 5000, layout.height + 5800, 100)).toEqual({
      first: layout.blocks.length,
      end: layout.blocks.length,
    });
  });

  it("tells which tiles a rectangle touches", () => {
    const layout = grid(30);
    const box = layout.box(4)!;
    const inside = { left: box.left + 2, top: box.top + 2, right: box.left + 3, bottom: box.top + 3 };
    expect(hits(layout, inside)).toEqual([4]);
    const all = hits(layout, { left: -10, top: -10, right: 5000, bottom: layout.height + 10 });
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const first = layout.blocks[0]!;
    const firstRow = hits(layout, { left: 0, top: 0, right: 1000, bottom: first.height - 1 });
    expect(firstRow[0]).toBe(0);
    expect(firstRow.length).toBe(first.kind === "row" ? first.end : 0);
  });

  it("moves with the arrow keys to the nearest tile of the next row", () => {
    const layout = grid(60);
    expect(neighbour(layout, 0, "left")).toBeNull();
    expect(neighbour(layout, 0, "right")).toBe(1);
    expect(neighbour(layout, 59, "right")).toBeNull();
    expect(neighbour(layout, 0, "up")).toBeNull();
    const below = neighbour(layout, 0, "down")!;
    expect(layout.rowIndex(below)).toBe(1);
    expect(layout.box(below)!.left).toBe(0);
    expect(neighbour(layout, below, "up")).toBe(0);
    const last = layout.blocks.length - 1;
    const lastItem = layout.count - 1;
    expect(layout.rowIndex(lastItem)).toBe(last);
    expect(neighbour(layout, lastItem, "down")).toBeNull();
  });

  it("skips headings on the way up and down", () => {
    const layout = new JustifiedLayout({ width: 1000, rowHeight: 200, gap: 4, headerHeight: 40 });
    layout.append([1, 1, 1, 1], ["a", "a", "b", "b"]);
    expect(neighbour(layout, 0, "down")).toBe(2);
    expect(neighbour(layout, 3, "up")).toBe(1);
  });

  it("anchors on the first row at a height", () => {
    const layout = grid(100);
    expect(anchorAt(layout, 0)).toBe(0);
    const row = layout.blocks[3]!;
    expect(anchorAt(layout, row.top + 1)).toBe(row.start);
    expect(anchorAt(layout, layout.height + 10)).toBeNull();
  });
});

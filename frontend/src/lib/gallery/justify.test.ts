import { describe, expect, it } from "vitest";
import { JustifiedLayout, MAX_RATIO, rowSizing, type Row } from "./justify";

const opts = { width: 1000, rowHeight: 200, gap: 4, headerHeight: 0 };

function rows(layout: JustifiedLayout): Row[] {
  return layout.blocks.filter((b): b is Row => b.kind === "row");
}

function right(row: Row): number {
  return row.lefts.at(-1)! + row.widths.at(-1)!;
}

describe("JustifiedLayout", () => {
  it("fills complete rows to the width, near the target height", () => {
    const layout = new JustifiedLayout(opts);
    layout.append(Array(40).fill(1.5));
    const all = rows(layout);
    expect(all.length).toBeGreaterThan(3);
    for (const row of all.slice(0, -1)) {
      expect(row.complete).toBe(true);
      expect(right(row)).toBe(1000);
      expect(row.height).toBeGreaterThan(150);
      expect(row.height).toBeLessThan(260);
      // tiles do not overlap and keep the gap
      for (let k = 1; k < row.lefts.length; k++) {
        const gap = row.lefts[k]! - (row.lefts[k - 1]! + row.widths[k - 1]!);
        expect(gap).toBeGreaterThanOrEqual(3);
        expect(gap).toBeLessThanOrEqual(5);
      }
    }
  });

  it("leaves the last row unfinished at the target height, narrower than the width", () => {
    const layout = new JustifiedLayout(opts);
    layout.append([1, 1]);
    const [row] = rows(layout);
    expect(row!.complete).toBe(false);
    expect(row!.height).toBe(200);
    expect(right(row!)).toBeLessThan(1000);
  });

  it("gives every item a box, rows stacked with the gap", () => {
    const layout = new JustifiedLayout(opts);
    const ratios = Array.from({ length: 300 }, (_, i) => [0.66, 1.5, 1, 1.78, 0.75][i % 5]!);
    layout.append(ratios);
    expect(layout.count).toBe(300);
    let bottom = -4;
    for (const row of rows(layout)) {
      expect(row.top).toBe(bottom + 4);
      bottom = row.top + row.height;
    }
    expect(layout.height).toBe(bottom);
    for (let i = 0; i < 300; i++) {
      const box = layout.box(i)!;
      expect(box.width).toBeGreaterThan(0);
      expect(box.left + box.width).toBeLessThanOrEqual(1000);
      // tiles keep their aspect ratio within rounding
      expect(Math.abs(box.width / box.height - ratios[i]!)).toBeLessThan(0.05);
    }
  });

  it("lays out the same whether items come at once or a page at a time", () => {
    const ratios = Array.from({ length: 257 }, (_, i) => 0.5 + ((i * 37) % 100) / 50);
    const whole = new JustifiedLayout(opts);
    whole.append(ratios);
    const paged = new JustifiedLayout(opts);
    for (let i = 0; i < ratios.length; i += 13) paged.append(ratios.slice(i, i + 13));
    expect(paged.blocks).toEqual(whole.blocks);
    expect(paged.height).toBe(whole.height);
  });

  it("starts a new row under a heading for each group, also across pages", () => {
    const groups = ["2024-05", "2024-05", "2024-05", "2024-04", "2024-04", "2024-03"];
    const withHeads = { ...opts, headerHeight: 48 };
    const whole = new JustifiedLayout(withHeads);
    whole.append(Array(6).fill(1), groups);
    const kinds = whole.blocks.map((b) => (b.kind === "header" ? `h:${b.group}` : `r:${b.start}-${b.end}`));
    expect(kinds).toEqual(["h:2024-05", "r:0-3", "h:2024-04", "r:3-5", "h:2024-03", "r:5-6"]);
    // a group's last row is not stretched
    const first = whole.blocks[1] as Row;
    expect(first.complete).toBe(true);
    expect(first.height).toBe(200);
    const paged = new JustifiedLayout(withHeads);
    paged.append(Array(2).fill(1), groups.slice(0, 2));
    paged.append(Array(1).fill(1), groups.slice(2, 3));
    paged.append(Array(3).fill(1), groups.slice(3));
    expect(paged.blocks).toEqual(whole.blocks);
  });

  it("lays out again at a new width", () => {
    const layout = new JustifiedLayout(opts);
    layout.append(Array(100).fill(1.5));
    const wide = layout.height;
    layout.setOptions({ ...opts, width: 400 });
    expect(layout.count).toBe(100);
    expect(layout.height).toBeGreaterThan(wide);
    for (const row of rows(layout).slice(0, -1)) expect(right(row)).toBe(400);
  });

  it("keeps panoramas and odd ratios sane", () => {
    const layout = new JustifiedLayout(opts);
    layout.append([20, 0.01, NaN, 0, -1, 1]);
    for (let i = 0; i < 6; i++) {
      const box = layout.box(i)!;
      expect(box.width / box.height).toBeLessThanOrEqual(MAX_RATIO + 0.05);
      expect(box.height).toBeGreaterThan(0);
    }
  });

  it("estimates the height of the items not loaded yet", () => {
    const layout = new JustifiedLayout(opts);
    expect(layout.estimate(0)).toBe(0);
    expect(layout.estimate(100)).toBeGreaterThan(0);
    layout.append(Array(100).fill(1.5));
    expect(layout.estimate(100)).toBe(layout.height);
    expect(layout.estimate(1000)).toBeGreaterThan(layout.height * 9);
    layout.clear();
    expect(layout.count).toBe(0);
    expect(layout.blocks).toEqual([]);
    expect(layout.height).toBe(0);
  });

  it("sizes rows for phones and big screens", () => {
    expect(rowSizing(360).rowHeight).toBeLessThan(rowSizing(1440).rowHeight);
    expect(rowSizing(3840).rowHeight).toBeGreaterThanOrEqual(rowSizing(1920).rowHeight);
  });

  it("lays out 100k items quickly", () => {
    const ratios = Array.from({ length: 100_000 }, (_, i) => [0.66, 1.5, 1, 1.78, 0.75][i % 5]!);
    const t0 = performance.now();
    const layout = new JustifiedLayout(opts);
    for (let i = 0; i < ratios.length; i += 500) layout.append(ratios.slice(i, i + 500));
    expect(layout.count).toBe(100_000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

import { describe, expect, it } from "vitest";
import { denormalize, fitAspect, moveRect, normalize, nudge, ratioOf, resizeRect, spanRect } from "./crop";

const W = 400;
const H = 300;

describe("ratioOf", () => {
  it("reads the presets", () => {
    expect(ratioOf("free")).toBeNull();
    expect(ratioOf("1:1")).toBe(1);
    expect(ratioOf("16:9")).toBeCloseTo(16 / 9);
    expect(ratioOf("9:16")).toBeCloseTo(9 / 16);
  });
});

describe("spanRect", () => {
  it("draws freely in any direction", () => {
    expect(spanRect({ x: 100, y: 100 }, { x: 50, y: 20 }, null, W, H)).toEqual({ x: 50, y: 20, width: 50, height: 80 });
  });
  it("stays inside the picture", () => {
    expect(spanRect({ x: 100, y: 100 }, { x: 900, y: -50 }, null, W, H)).toEqual({ x: 100, y: 0, width: 300, height: 100 });
  });
  it("locks the aspect to the larger side asked for", () => {
    const r = spanRect({ x: 0, y: 0 }, { x: 120, y: 40 }, 1, W, H);
    expect(r).toEqual({ x: 0, y: 0, width: 120, height: 120 });
  });
  it("cuts a locked rectangle down to the room there is", () => {
    const r = spanRect({ x: 300, y: 0 }, { x: 400, y: 300 }, 1, W, H);
    expect(r).toEqual({ x: 300, y: 0, width: 100, height: 100 });
    const wide = spanRect({ x: 0, y: 200 }, { x: 400, y: 300 }, 16 / 9, W, H);
    expect(wide.height).toBe(100);
    expect(wide.width / wide.height).toBeCloseTo(16 / 9);
  });
});

describe("resize and move", () => {
  const rect = { x: 100, y: 100, width: 100, height: 100 };
  it("keeps the opposite corner", () => {
    expect(resizeRect(rect, "nw", { x: 50, y: 80 }, null, W, H)).toEqual({ x: 50, y: 80, width: 150, height: 120 });
    expect(resizeRect(rect, "se", { x: 260, y: 220 }, 1, W, H)).toEqual({ x: 100, y: 100, width: 160, height: 160 });
  });
  it("moves within the picture", () => {
    expect(moveRect(rect, 500, -500, W, H)).toEqual({ x: 300, y: 0, width: 100, height: 100 });
  });
  it("nudges by keys", () => {
    expect(nudge(rect, "ArrowLeft", 10, false, null, W, H)).toEqual({ ...rect, x: 90 });
    expect(nudge(rect, "ArrowDown", 10, true, 1, W, H)).toEqual({ ...rect, width: 110, height: 110 });
    expect(nudge(rect, "a", 10, false, null, W, H)).toBeNull();
  });
});

describe("fitAspect", () => {
  it("makes the largest centred rectangle when there is none", () => {
    expect(fitAspect(null, 1, W, H)).toEqual({ x: 50, y: 0, width: 300, height: 300 });
  });
  it("reshapes a rectangle about its centre", () => {
    const r = fitAspect({ x: 100, y: 100, width: 100, height: 50 }, 1, W, H);
    expect(r).toEqual({ x: 100, y: 75, width: 100, height: 100 });
  });
});

describe("normalize", () => {
  it("turns pixels into 0..1 and back", () => {
    const n = normalize({ x: 100, y: 75, width: 200, height: 150 }, W, H);
    expect(n).toEqual({ x: 0.25, y: 0.25, width: 0.5, height: 0.5 });
    expect(denormalize(n, W, H)).toEqual({ x: 100, y: 75, width: 200, height: 150 });
  });
  it("never passes the edge", () => {
    const n = normalize({ x: 133.3333333, y: 0, width: 266.6666667, height: 300 }, W, H);
    expect(n.x + n.width).toBeLessThanOrEqual(1);
    expect(n.y + n.height).toBeLessThanOrEqual(1);
  });
});

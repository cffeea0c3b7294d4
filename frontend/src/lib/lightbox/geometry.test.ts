import { describe, expect, it } from "vitest";
import { clampView, fit, FITTED, MAX_SCALE, panBy, swipe, wheelFactor, zoomAt } from "./geometry";

const box = { width: 1000, height: 800 };

describe("fit", () => {
  it("contains the picture in the box", () => {
    expect(fit({ width: 4000, height: 2000 }, box)).toEqual({ width: 1000, height: 500 });
    expect(fit({ width: 300, height: 600 }, box)).toEqual({ width: 400, height: 800 });
  });
  it("falls back to the box for unknown sizes", () => {
    expect(fit({ width: 0, height: 0 }, box)).toEqual(box);
  });
});

describe("clampView", () => {
  const fitted = { width: 1000, height: 500 };
  it("keeps a fitted picture centred", () => {
    expect(clampView({ scale: 1, x: 40, y: -30 }, fitted, box)).toEqual(FITTED);
  });
  it("limits the scale", () => {
    expect(clampView({ scale: 0.2, x: 0, y: 0 }, fitted, box).scale).toBe(1);
    expect(clampView({ scale: 100, x: 0, y: 0 }, fitted, box).scale).toBe(MAX_SCALE);
  });
  it("stops panning at the edges", () => {
    // 2x: 2000 x 1000 in 1000 x 800: 500 px of room each side, 100 up and down.
    expect(clampView({ scale: 2, x: 900, y: -400 }, fitted, box)).toEqual({ scale: 2, x: 500, y: -100 });
  });
});

describe("zoomAt", () => {
  const fitted = { width: 1000, height: 500 };
  it("zooms about the centre", () => {
    expect(zoomAt(FITTED, 2, { x: 0, y: 0 }, fitted, box)).toEqual({ scale: 2, x: 0, y: 0 });
  });
  it("keeps the point under the pointer", () => {
    const v = zoomAt(FITTED, 2, { x: 200, y: 0 }, fitted, box);
    // The picture's point at 200 px right of centre stays there: 200 - (200 - 0) * 2.
    expect(v).toEqual({ scale: 2, x: -200, y: 0 });
  });
  it("goes back to fitted when zoomed out", () => {
    const v = zoomAt({ scale: 2, x: -200, y: 50 }, 0.25, { x: 0, y: 0 }, fitted, box);
    expect(v).toEqual(FITTED);
  });
});

describe("panBy and swipes", () => {
  it("pans within the room", () => {
    const fitted = { width: 1000, height: 500 };
    expect(panBy({ scale: 2, x: 0, y: 0 }, 100, 300, fitted, box)).toEqual({ scale: 2, x: 100, y: 100 });
  });
  it("tells a swipe from a scroll", () => {
    expect(swipe(-120, 10)).toBe(-1);
    expect(swipe(120, 10)).toBe(1);
    expect(swipe(30, 0)).toBe(0);
    expect(swipe(80, 100)).toBe(0);
  });
  it("turns the wheel into a factor", () => {
    expect(wheelFactor(-100)).toBeGreaterThan(1);
    expect(wheelFactor(100)).toBeLessThan(1);
    expect(wheelFactor(0)).toBe(1);
  });
});

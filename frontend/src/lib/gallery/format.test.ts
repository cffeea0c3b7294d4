import { describe, expect, it } from "vitest";
import { duration, frameAt, itemCount, longSide, monthKey, monthLabel, srcset } from "./format";

const thumbs = {
  small: "/api/v1/thumbnails/ab/small?v=256webpq80",
  medium: "/api/v1/thumbnails/ab/medium?v=512webpq80",
  large: "/api/v1/thumbnails/ab/large?v=1024webpq80",
};

describe("tile helpers", () => {
  it("describes each thumbnail by its real width", () => {
    expect(srcset(thumbs, 1.5)).toBe(`${thumbs.small} 256w, ${thumbs.medium} 512w, ${thumbs.large} 1024w`);
    expect(srcset(thumbs, 0.75)).toBe(`${thumbs.small} 192w, ${thumbs.medium} 384w, ${thumbs.large} 768w`);
    expect(srcset(thumbs, 1, "&retry=2")).toContain("small?v=256webpq80&retry=2 256w");
    const one = { small: "/t?v=300", medium: "/t?v=300", large: "/t?v=300" };
    expect(srcset(one, 1)).toBe("/t?v=300 300w");
    expect(longSide("/t", 512)).toBe(512);
  });

  it("writes durations as a clock", () => {
    expect(duration(0)).toBe("0:00");
    expect(duration(75.4)).toBe("1:15");
    expect(duration(3725)).toBe("1:02:05");
    expect(duration(null)).toBe("");
    expect(duration(NaN)).toBe("");
  });

  it("groups dates by month", () => {
    expect(monthKey("2024-05-03T10:00:00")).toBe("2024-05");
    expect(monthKey("junk")).toBeNull();
    expect(monthLabel("2024-05")).toMatch(/2024/);
    expect(monthLabel("x")).toBe("x");
  });

  it("counts and scrubs", () => {
    expect(itemCount(1)).toBe("1 item");
    expect(itemCount(2)).toBe("2 items");
    expect(frameAt(0, 10)).toBe(0);
    expect(frameAt(0.55, 10)).toBe(5);
    expect(frameAt(1, 10)).toBe(9);
    expect(frameAt(-1, 10)).toBe(0);
    expect(frameAt(0.5, 0)).toBe(0);
  });
});

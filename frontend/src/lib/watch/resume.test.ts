import { describe, expect, it } from "vitest";
import { resumeAt } from "./resume";

describe("resumeAt", () => {
  it("resumes where the video was left", () => {
    expect(resumeAt(20, 30)).toBe(20);
    expect(resumeAt(3600.5, 7200)).toBe(3600.5);
  });
  it("starts over without a position, or near the start", () => {
    expect(resumeAt(null, 30)).toBe(0);
    expect(resumeAt(undefined, 30)).toBe(0);
    expect(resumeAt(4.9, 30)).toBe(0);
    expect(resumeAt(Number.NaN, 30)).toBe(0);
    expect(resumeAt(-3, 30)).toBe(0);
  });
  it("starts over when the video was watched to (nearly) the end", () => {
    expect(resumeAt(28.6, 30)).toBe(0);
    expect(resumeAt(30, 30)).toBe(0);
    expect(resumeAt(99, 30)).toBe(0);
    expect(resumeAt(6900, 7200)).toBe(0);
    expect(resumeAt(9.5, 10)).toBe(0); // the last second of a short clip
  });
  it("resumes when the duration is unknown", () => {
    expect(resumeAt(42, null)).toBe(42);
    expect(resumeAt(42, 0)).toBe(42);
  });
});

import { describe, expect, it } from "vitest";
import { ago, bitRate, channels, clock, codecName, fileSize, frameRate, hostOf, resolution, shortDuration, starValue, stars } from "./format";

describe("format", () => {
  it("clock", () => {
    expect(clock(15)).toBe("00:15");
    expect(clock(15.9)).toBe("00:15");
    expect(clock(75)).toBe("01:15");
    expect(clock(3725)).toBe("01:02:05");
    expect(clock(-3)).toBe("00:00");
    expect(clock(Number.NaN)).toBe("00:00");
  });
  it("shortDuration", () => {
    expect(shortDuration(75.4)).toBe("1:15");
    expect(shortDuration(3725)).toBe("1:02:05");
    expect(shortDuration(null)).toBe("");
  });
  it("fileSize", () => {
    expect(fileSize(512)).toBe("512 bytes");
    expect(fileSize(1536)).toBe("1.5 KB");
    expect(fileSize(250 * 1024 * 1024)).toBe("250 MB");
    expect(fileSize(null)).toBe("");
  });
  it("bitRate", () => {
    expect(bitRate(4_200_000)).toBe("4.2 Mb/s");
    expect(bitRate(128_000)).toBe("128 kb/s");
    expect(bitRate(0)).toBe("");
  });
  it("codecName, channels, frameRate", () => {
    expect(codecName("h264")).toBe("H.264");
    expect(codecName("hevc")).toBe("HEVC");
    expect(codecName("wmv3")).toBe("WMV3");
    expect(codecName(null)).toBe("");
    expect(channels(2)).toBe("stereo");
    expect(channels(6)).toBe("5.1");
    expect(channels(3)).toBe("3 channels");
    expect(frameRate(29.97002997)).toBe("29.97 fps");
    expect(frameRate(25)).toBe("25 fps");
  });
  it("resolution", () => {
    expect(resolution(1920, 1080)).toBe("1920 × 1080 (1080p)");
    expect(resolution(1080, 1920)).toBe("1080 × 1920 (1080p)");
    expect(resolution(3840, 2160)).toBe("3840 × 2160 (4K)");
    expect(resolution(320, 240)).toBe("320 × 240");
    expect(resolution(null, 240)).toBe("");
  });
  it("stars", () => {
    expect(stars(60)).toBe(3);
    expect(stars(70)).toBe(3.5);
    expect(stars(null)).toBe(0);
    expect(starValue(3)).toBe(60);
    expect(starValue(9)).toBe(100);
  });
  it("ago", () => {
    const now = Date.parse("2024-05-10T12:00:00Z");
    expect(ago("2024-05-10T11:59:30Z", now)).toBe("just now");
    expect(ago("2024-05-10T11:00:00Z", now)).toBe("1 hour ago");
    expect(ago("2024-05-08T12:00:00Z", now)).toBe("2 days ago");
    expect(ago(null, now)).toBe("");
    expect(ago("never", now)).toBe("");
  });
  it("hostOf", () => {
    expect(hostOf("https://www.example.com/a")).toBe("example.com");
    expect(hostOf("not a url")).toBe("not a url");
  });
});

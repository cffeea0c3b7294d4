import { describe, expect, it } from "vitest";
import { modeLabel, playbackPlan } from "./playback";

describe("playbackPlan", () => {
  it("plays a direct video as it is, with HLS to fall back on", () => {
    expect(playbackPlan("direct", { mse: true, nativeHls: false })).toEqual(["direct", "hls.js"]);
    expect(playbackPlan("direct", { mse: false, nativeHls: false })).toEqual(["direct"]);
  });
  it("plays the others through hls.js, else the browser's HLS", () => {
    expect(playbackPlan("transcode", { mse: true, nativeHls: true })).toEqual(["hls.js", "hls"]);
    expect(playbackPlan("remux", { mse: false, nativeHls: true })).toEqual(["hls"]);
  });
  it("says when nothing can play it", () => {
    expect(playbackPlan("transcode", { mse: false, nativeHls: false })).toEqual(["none"]);
  });
});

describe("modeLabel", () => {
  it("names the way it plays", () => {
    expect(modeLabel("direct", "direct")).toBe("Original file");
    expect(modeLabel("hls.js", "transcode")).toBe("HLS, transcoded (hls.js)");
    expect(modeLabel("hls", "remux")).toBe("HLS, remuxed");
  });
});

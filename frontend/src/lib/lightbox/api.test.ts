import { describe, expect, it } from "vitest";
import { exifFacts, readCaptions, readCrops } from "./api";

describe("exifFacts", () => {
  it("reads what is there", () => {
    const facts = exifFacts({
      item_id: 1,
      exif: {
        camera: { make: "Canon", model: "Canon EOS R5" },
        lens: "RF 24-70mm",
        exposure: { exposure_time: 0.004, f_number: 2.8, iso: 200, focal_length: 50 },
        gps: { latitude: 48.8584, longitude: 2.2945, altitude: 35 },
      },
    });
    expect(facts.map((f) => f.label)).toEqual(["Camera", "Lens", "Exposure", "Location"]);
    expect(facts[0]?.text).toBe("Canon EOS R5");
    expect(facts[2]?.text).toBe("1/250 s · f/2.8 · ISO 200 · 50 mm");
    expect(facts[3]?.href).toContain("https://www.openstreetmap.org/?mlat=48.858400&mlon=2.294500");
  });
  it("gives nothing for nothing", () => {
    expect(exifFacts({ item_id: 1, exif: {} })).toEqual([]);
    expect(exifFacts(null)).toEqual([]);
  });
});

describe("readCaptions", () => {
  it("reads the current caption and the history", () => {
    const c = readCaptions({
      current: { id: 2, text: "b", source: "manual", author: "ann", model: null, created_at: "2026-01-02T00:00:00" },
      history: [
        { id: 2, text: "b", source: "manual", author: "ann", model: null, created_at: "2026-01-02T00:00:00" },
        { id: 1, text: "a", source: "ai", author: null, model: "m", created_at: "2026-01-01T00:00:00" },
        { bad: true },
      ],
    });
    expect(c.current?.text).toBe("b");
    expect(c.history.map((v) => v.id)).toEqual([2, 1]);
    expect(c.history[1]?.model).toBe("m");
  });
});

describe("readCrops", () => {
  it("builds the render URL itself", () => {
    const crops = readCrops({ crops: [{ name: "a b&c", x: 0, y: 0, width: 0.5, height: 0.5, aspect: "1:1" }, { name: "" }] }, 7);
    expect(crops).toHaveLength(1);
    expect(crops[0]?.url).toBe("/api/v1/items/7/cropped?name=a%20b%26c");
  });
});

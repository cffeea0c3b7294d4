import { describe, expect, it } from "vitest";
import { describeValue, fieldError, fromInput, grouped, kindOf, labelOf, sameValue, toInput } from "./settings";

describe("settings: inputs by the type of the value", () => {
  it("picks an input for each kind of value", () => {
    expect(kindOf({ value: true, default: true })).toBe("boolean");
    expect(kindOf({ value: 80, default: 80 })).toBe("number");
    expect(kindOf({ value: ".webp", default: ".webp" })).toBe("text");
    expect(kindOf({ value: ["/media"], default: ["/media"] })).toBe("list");
    expect(kindOf({ value: {}, default: {} })).toBe("map");
    expect(kindOf({ value: null, default: 5 })).toBe("number");
  });

  it("writes values into inputs and reads them back", () => {
    expect(toInput(80, "number")).toBe("80");
    expect(fromInput("85", "number")).toEqual({ ok: true, value: 85 });
    expect(fromInput(" 1.5 ", "number")).toEqual({ ok: true, value: 1.5 });
    expect(toInput(false, "boolean")).toBe(false);
    expect(fromInput(true, "boolean")).toEqual({ ok: true, value: true });
    expect(toInput(["/a", "/b"], "list")).toBe("/a\n/b");
    expect(fromInput("/a\n\n /b \n", "list")).toEqual({ ok: true, value: ["/a", "/b"] });
    expect(toInput({ scan: 1, thumbnail: 4 }, "map")).toBe("scan=1, thumbnail=4");
    expect(fromInput("scan=1, thumbnail=4", "map")).toEqual({ ok: true, value: { scan: 1, thumbnail: 4 } });
    expect(fromInput("", "map")).toEqual({ ok: true, value: {} });
    expect(toInput(".jpg", "text")).toBe(".jpg");
  });

  it("refuses what is not a number, and leaves the rest to the server", () => {
    expect(fromInput("", "number")).toEqual({ ok: false, error: "enter a number" });
    expect(fromInput("lots", "number")).toEqual({ ok: false, error: "lots is not a number" });
    expect(fromInput("500", "number")).toEqual({ ok: true, value: 500 }); // the range: the server's
    expect(fromInput("scan=many", "map")).toEqual({ ok: true, value: "scan=many" }); // its message
  });

  it("compares lists and maps by content", () => {
    expect(sameValue({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameValue(["/a"], ["/a"])).toBe(true);
    expect(sameValue(["/a"], ["/b"])).toBe(false);
    expect(sameValue(80, 80)).toBe(true);
    expect(sameValue(80, "80")).toBe(false);
  });
});

describe("settings: the server's refusals", () => {
  const keys = ["thumbnail_quality", "job_limits"];

  it("finds the field a 422 names", () => {
    expect(fieldError("thumbnail_quality: Input should be less than or equal to 100", keys)).toEqual({
      key: "thumbnail_quality",
      text: "Input should be less than or equal to 100",
    });
    expect(fieldError("job_limits: write kind=number, e.g. thumbnail=2", keys)?.key).toBe("job_limits");
  });

  it("leaves other messages to the form", () => {
    expect(fieldError("not a tunable setting: colour", keys)).toBeNull();
    expect(fieldError("give at least one setting to change", keys)).toBeNull();
    expect(fieldError("media_dir: a folder is listed twice", keys)).toBeNull();
  });
});

describe("settings: names and groups", () => {
  it("names settings for people", () => {
    expect(labelOf("thumbnail_quality")).toBe("Thumbnail quality");
    expect(labelOf("job_limits")).toBe("Concurrent jobs per kind");
  });

  it("groups them, in order, without empty groups", () => {
    const groups = grouped([{ key: "watch" }, { key: "thumbnail_quality" }, { key: "teaser_segments" }, { key: "job_limits" }]);
    expect(groups.map(([g, members]) => [g, members.map((m) => m.key)])).toEqual([
      ["Thumbnails", ["thumbnail_quality"]],
      ["Video previews", ["teaser_segments"]],
      ["Watching and scanning", ["watch"]],
      ["Jobs", ["job_limits"]],
    ]);
  });

  it("describes defaults briefly", () => {
    expect(describeValue(true, "boolean")).toBe("on");
    expect(describeValue({}, "map")).toBe("(none)");
    expect(describeValue(["/a", "/b"], "list")).toBe("/a, /b");
  });
});

import { describe, expect, it } from "vitest";
import {
  describeValue,
  fieldError,
  fromInput,
  grouped,
  kindOf,
  labelOf,
  rangeText,
  sameValue,
  toInput,
  type Form,
} from "./settings";

const plain: Form = {
  type: "string",
  items: null,
  choices: null,
  minimum: null,
  maximum: null,
  exclusive_minimum: false,
  exclusive_maximum: false,
  nullable: false,
};
const form = (over: Partial<Form>): Form => ({ ...plain, ...over });
const quality = form({ type: "integer", minimum: 1, maximum: 100 });
const seconds = form({ type: "number", minimum: 0, maximum: 10, exclusive_minimum: true });
const ext = form({ type: "enum", choices: [".webp", ".jpg"] });
const folders = form({ type: "list", items: "path" });
const limits = form({ type: "map", items: "integer" });

describe("settings: a control by the type the API gives", () => {
  it("picks a control for each type", () => {
    expect(kindOf({ type: "boolean" })).toBe("boolean");
    expect(kindOf({ type: "integer" })).toBe("number");
    expect(kindOf({ type: "number" })).toBe("number");
    expect(kindOf({ type: "enum" })).toBe("select");
    expect(kindOf({ type: "string" })).toBe("text");
    expect(kindOf({ type: "path" })).toBe("text");
    expect(kindOf({ type: "list" })).toBe("list");
    expect(kindOf({ type: "map" })).toBe("map");
  });

  it("writes values into controls and reads them back", () => {
    expect(toInput(80, "number")).toBe("80");
    expect(fromInput("85", quality)).toEqual({ ok: true, value: 85 });
    expect(fromInput(" 1.5 ", seconds)).toEqual({ ok: true, value: 1.5 });
    expect(toInput(false, "boolean")).toBe(false);
    expect(fromInput(true, form({ type: "boolean" }))).toEqual({ ok: true, value: true });
    expect(toInput(["/a", "/b"], "list")).toBe("/a\n/b");
    expect(fromInput("/a\n\n /b \n", folders)).toEqual({ ok: true, value: ["/a", "/b"] });
    expect(toInput({ scan: 1, thumbnail: 4 }, "map")).toBe("scan=1, thumbnail=4");
    expect(fromInput("scan=1, thumbnail=4", limits)).toEqual({ ok: true, value: { scan: 1, thumbnail: 4 } });
    expect(fromInput("", limits)).toEqual({ ok: true, value: {} });
    expect(toInput(".jpg", "select")).toBe(".jpg");
    expect(fromInput(".jpg", ext)).toEqual({ ok: true, value: ".jpg" });
    expect(fromInput("2", form({ type: "enum", choices: [1, 2] }))).toEqual({ ok: true, value: 2 });
    expect(fromInput(" x ", plain)).toEqual({ ok: true, value: "x" });
  });

  it("checks numbers against their type and bounds before sending", () => {
    expect(fromInput("", quality)).toEqual({ ok: false, error: "enter a number" });
    expect(fromInput("lots", quality)).toEqual({ ok: false, error: "lots is not a number" });
    expect(fromInput("8.5", quality)).toEqual({ ok: false, error: "8.5 is not a whole number" });
    expect(fromInput("500", quality)).toEqual({ ok: false, error: "enter a number 1 to 100" });
    expect(fromInput("0", quality)).toEqual({ ok: false, error: "enter a number 1 to 100" });
    expect(fromInput("100", quality)).toEqual({ ok: true, value: 100 });
    expect(fromInput("0", seconds)).toEqual({ ok: false, error: "enter a number more than 0, at most 10" });
    expect(fromInput("10", seconds)).toEqual({ ok: true, value: 10 });
    expect(fromInput("-5", form({ type: "integer" }))).toEqual({ ok: true, value: -5 }); // no bounds
  });

  it("checks choices, lists and maps", () => {
    expect(fromInput(".png", ext)).toEqual({ ok: false, error: "choose one of .webp, .jpg" });
    expect(fromInput("scan=many", limits)).toEqual({ ok: false, error: "scan: many is not a number" });
    expect(fromInput("scan", limits)).toEqual({ ok: false, error: "write name=value, e.g. scan=1: not “scan”" });
    expect(fromInput("scan=0", limits)).toEqual({ ok: true, value: { scan: 0 } }); // its rule: the server's
    expect(fromInput("1\nx", form({ type: "list", items: "integer" }))).toEqual({ ok: false, error: "x is not a number" });
  });

  it("sends null for an empty field only where the setting may be null", () => {
    expect(fromInput("", form({ type: "integer", nullable: true }))).toEqual({ ok: true, value: null });
    expect(fromInput("", plain)).toEqual({ ok: true, value: "" });
  });

  it("says a range for people", () => {
    expect(rangeText(quality)).toBe("1 to 100");
    expect(rangeText(seconds)).toBe("more than 0, at most 10");
    expect(rangeText(form({ type: "integer", minimum: 0 }))).toBe("at least 0");
    expect(rangeText(plain)).toBe("");
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

import { describe, expect, it } from "vitest";
import { cueAt, parseSpriteVtt, parseTimestamp, tileStyle } from "./vtt";

const BASE = "http://example.test/api/v1/previews/abc/sprites/sprites.vtt?v=160";

// As media/video.py writes it: 3 tiles a row, 2 rows a sheet, 5 s a tile.
const VTT = `WEBVTT

00:00:00.000 --> 00:00:05.000
sheet001.jpg#xywh=0,0,160,90

00:00:05.000 --> 00:00:10.000
sheet001.jpg#xywh=160,0,160,90

00:00:10.000 --> 00:00:15.000
sheet001.jpg#xywh=320,0,160,90

00:00:15.000 --> 00:00:20.000
sheet001.jpg#xywh=0,90,160,90

00:00:20.000 --> 00:00:25.000
sheet001.jpg#xywh=160,90,160,90

00:00:25.000 --> 00:00:30.000
sheet001.jpg#xywh=320,90,160,90

00:00:30.000 --> 00:00:31.500
sheet002.jpg#xywh=0,0,160,90
`;

describe("parseTimestamp", () => {
  it("reads hours, minutes and seconds", () => {
    expect(parseTimestamp("00:01:02.500")).toBe(62.5);
    expect(parseTimestamp("01:02.5")).toBe(62.5);
    expect(parseTimestamp("1:00:00.000")).toBe(3600);
  });
  it("refuses what is not a timestamp", () => {
    expect(parseTimestamp("")).toBeNull();
    expect(parseTimestamp("12")).toBeNull();
    expect(parseTimestamp("a:b:c")).toBeNull();
  });
});

describe("parseSpriteVtt", () => {
  it("reads every cue, resolved against the VTT's URL", () => {
    const cues = parseSpriteVtt(VTT, BASE);
    expect(cues).toHaveLength(7);
    expect(cues[3]).toEqual({
      start: 15,
      end: 20,
      url: "http://example.test/api/v1/previews/abc/sprites/sheet001.jpg",
      x: 0,
      y: 90,
      w: 160,
      h: 90,
    });
    expect(cues[6]!.url.endsWith("/sheet002.jpg")).toBe(true);
  });

  it("takes CRLF, a BOM, cue identifiers and cue settings", () => {
    const text = "\uFEFFWEBVTT\r\n\r\ncue-1\r\n00:01.000 --> 00:02.000 align:start\r\nsheet001.jpg#xywh=pixel:1,2,3,4\r\n";
    expect(parseSpriteVtt(text, BASE)).toEqual([
      { start: 1, end: 2, url: "http://example.test/api/v1/previews/abc/sprites/sheet001.jpg", x: 1, y: 2, w: 3, h: 4 },
    ]);
  });

  it("leaves out what it cannot show", () => {
    const text = [
      "WEBVTT",
      "NOTE a comment",
      "00:00.000 --> 00:01.000\nsheet001.jpg",
      "00:00.000 --> 00:01.000\nsheet001.jpg#xywh=percent:0,0,10,10",
      "00:00.000 --> 00:01.000\nsheet001.jpg#xywh=0,0,0,90",
      "00:02.000 --> 00:01.000\nsheet001.jpg#xywh=0,0,10,10",
      "00:00.000 --> 00:01.000\njavascript:alert(1)#xywh=0,0,10,10",
      "garbage --> 00:01.000\nsheet001.jpg#xywh=0,0,10,10",
      "00:00.000 --> 00:01.000",
    ].join("\n\n");
    expect(parseSpriteVtt(text, BASE)).toEqual([]);
  });

  it("puts the cues in time order", () => {
    const text = "WEBVTT\n\n00:05.000 --> 00:10.000\nb.jpg#xywh=0,0,1,1\n\n00:00.000 --> 00:05.000\na.jpg#xywh=0,0,1,1";
    expect(parseSpriteVtt(text, BASE).map((c) => c.start)).toEqual([0, 5]);
  });
});

describe("cueAt", () => {
  const cues = parseSpriteVtt(VTT, BASE);
  it("finds the tile for a time", () => {
    expect(cueAt(cues, 0)!.x).toBe(0);
    expect(cueAt(cues, 4.99)!.x).toBe(0);
    expect(cueAt(cues, 5)!.x).toBe(160);
    expect(cueAt(cues, 15)).toEqual(cues[3]);
    expect(cueAt(cues, 31)).toEqual(cues[6]);
  });
  it("keeps the last tile past the end, and has none before the start or without cues", () => {
    expect(cueAt(cues, 99)).toEqual(cues[6]);
    expect(cueAt(cues, -1)).toBeNull();
    expect(cueAt([], 3)).toBeNull();
    expect(cueAt(cues, Number.NaN)).toBeNull();
  });
  it("has none in a gap between cues", () => {
    const gappy = parseSpriteVtt("WEBVTT\n\n00:00.000 --> 00:01.000\na.jpg#xywh=0,0,1,1\n\n00:05.000 --> 00:06.000\na.jpg#xywh=1,0,1,1", BASE);
    expect(cueAt(gappy, 3)).toBeNull();
  });
});

describe("tileStyle", () => {
  it("moves the sheet to the tile", () => {
    const cue = parseSpriteVtt(VTT, BASE)[4]!;
    expect(tileStyle(cue)).toEqual({
      image: 'url("http://example.test/api/v1/previews/abc/sprites/sheet001.jpg")',
      position: "-160px -90px",
      width: "160px",
      height: "90px",
    });
  });
  it("writes the first tile's place as 0px", () => {
    expect(tileStyle(parseSpriteVtt(VTT, BASE)[0]!).position).toBe("0px 0px");
  });
  it("cannot be broken out of by a quote in the sheet's name", () => {
    const [cue] = parseSpriteVtt('WEBVTT\n\n00:00.000 --> 00:01.000\na").jpg#xywh=0,0,1,1', BASE);
    expect(tileStyle(cue!).image).toBe('url("http://example.test/api/v1/previews/abc/sprites/a%22).jpg")');
  });
});

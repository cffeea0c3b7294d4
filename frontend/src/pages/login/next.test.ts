import { describe, expect, it } from "vitest";
import { safeNext } from "./next";

const ORIGIN = "http://127.0.0.1:8000";

describe("safeNext", () => {
  it.each([
    [null, "/"],
    [undefined, "/"],
    ["", "/"],
    ["/", "/"],
    ["/watch/1", "/watch/1"],
    ["/watch/3?t=5#x", "/watch/3?t=5#x"],
    ["watch/1", "/watch/1"],
    [`${ORIGIN}/watch/1`, "/watch/1"],
  ])("keeps a page of this site: %j -> %s", (next, lands) => {
    expect(safeNext(next, ORIGIN)).toBe(lands);
  });

  it.each([
    "//evil.example/",
    "/\t/evil.example", // what `/%09/evil.example` decodes to: browsers drop the tab
    "/\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\\t/evil.example",
    " //evil.example",
    "https://evil.example/",
    "http://127.0.0.1:8001/",
    "https://127.0.0.1:8000/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://[::1",
  ])("never leaves the site: %j", (next) => {
    expect(safeNext(next, ORIGIN)).toBe("/");
  });

  it.each([
    ["/.//evil.example", "/evil.example"],
    ["/..//evil.example", "/evil.example"],
    ["/%2e//evil.example", "/evil.example"],
    ["/x/..//evil.example/", "/evil.example/"],
    [`${ORIGIN}//evil.example`, "/evil.example"],
  ])("a path that would read as another site stays here: %j -> %s", (next, lands) => {
    const path = safeNext(next, ORIGIN);
    expect(path).toBe(lands);
    expect(new URL(path, ORIGIN).origin).toBe(ORIGIN);
  });
});

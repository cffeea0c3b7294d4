import { describe, expect, it } from "vitest";
import { isTyping, keyAction, ownsKey, seekTarget, SHORTCUTS } from "./keys";

describe("keyAction", () => {
  it("maps the shortcuts", () => {
    expect(keyAction({ key: " " })).toEqual({ kind: "toggle" });
    expect(keyAction({ key: "k" })).toEqual({ kind: "toggle" });
    expect(keyAction({ key: "K" })).toEqual({ kind: "toggle" }); // caps lock
    expect(keyAction({ key: "ArrowLeft" })).toEqual({ kind: "seek", by: -5 });
    expect(keyAction({ key: "ArrowRight" })).toEqual({ kind: "seek", by: 5 });
    expect(keyAction({ key: "j" })).toEqual({ kind: "seek", by: -10 });
    expect(keyAction({ key: "l" })).toEqual({ kind: "seek", by: 10 });
    expect(keyAction({ key: "f" })).toEqual({ kind: "fullscreen" });
    expect(keyAction({ key: "m" })).toEqual({ kind: "mute" });
    expect(keyAction({ key: "?" })).toEqual({ kind: "help" });
  });
  it("jumps to tenths with the digits", () => {
    expect(keyAction({ key: "0" })).toEqual({ kind: "jump", fraction: 0 });
    expect(keyAction({ key: "5" })).toEqual({ kind: "jump", fraction: 0.5 });
    expect(keyAction({ key: "9" })).toEqual({ kind: "jump", fraction: 0.9 });
  });
  it("leaves other keys and the browser's own combinations alone", () => {
    expect(keyAction({ key: "a" })).toBeNull();
    expect(keyAction({ key: "Enter" })).toBeNull();
    expect(keyAction({ key: "ArrowUp" })).toBeNull();
    expect(keyAction({ key: "Tab" })).toBeNull();
    expect(keyAction({ key: "F5" })).toBeNull();
    expect(keyAction({ key: "f", ctrlKey: true })).toBeNull();
    expect(keyAction({ key: "l", metaKey: true })).toBeNull();
    expect(keyAction({ key: "ArrowLeft", altKey: true })).toBeNull(); // back in history
  });
  it("lists every shortcut for the overlay", () => {
    expect(SHORTCUTS.map((s) => s.keys.join(" "))).toContain("Space K");
    expect(SHORTCUTS).toHaveLength(7);
  });
});

describe("isTyping", () => {
  it("knows fields", () => {
    expect(isTyping({ tagName: "INPUT", type: "text" })).toBe(true);
    expect(isTyping({ tagName: "input", type: "search" })).toBe(true);
    expect(isTyping({ tagName: "INPUT", type: "" })).toBe(true);
    expect(isTyping({ tagName: "TEXTAREA" })).toBe(true);
    expect(isTyping({ tagName: "SELECT" })).toBe(true);
    expect(isTyping({ tagName: "DIV", isContentEditable: true })).toBe(true);
    expect(isTyping({ tagName: "DIV", role: "combobox" })).toBe(true);
  });
  it("is not typing elsewhere", () => {
    expect(isTyping(null)).toBe(false);
    expect(isTyping({ tagName: "BODY" })).toBe(false);
    expect(isTyping({ tagName: "BUTTON" })).toBe(false);
    expect(isTyping({ tagName: "INPUT", type: "range" })).toBe(false);
    expect(isTyping({ tagName: "INPUT", type: "checkbox" })).toBe(false);
  });
});

describe("ownsKey", () => {
  it("lets buttons and links take Space and Enter", () => {
    expect(ownsKey({ tagName: "BUTTON" }, " ")).toBe(true);
    expect(ownsKey({ tagName: "A" }, "Enter")).toBe(true);
    expect(ownsKey({ tagName: "DIV", role: "button" }, " ")).toBe(true);
    expect(ownsKey({ tagName: "INPUT", type: "checkbox" }, " ")).toBe(true);
    expect(ownsKey({ tagName: "BUTTON" }, "k")).toBe(false);
    expect(ownsKey({ tagName: "BUTTON" }, "ArrowLeft")).toBe(false);
  });
  it("lets a range input and listboxes take the arrows", () => {
    expect(ownsKey({ tagName: "INPUT", type: "range" }, "ArrowRight")).toBe(true);
    expect(ownsKey({ tagName: "UL", role: "listbox" }, "ArrowLeft")).toBe(true);
    expect(ownsKey({ tagName: "DIV", role: "slider" }, "ArrowLeft")).toBe(false);
  });
  it("gives every key to a field", () => {
    expect(ownsKey({ tagName: "INPUT", type: "text" }, "k")).toBe(true);
  });
  it("leaves the body and the video to the shortcuts", () => {
    expect(ownsKey(null, " ")).toBe(false);
    expect(ownsKey({ tagName: "BODY" }, " ")).toBe(false);
    expect(ownsKey({ tagName: "VIDEO" }, " ")).toBe(false);
  });
});

describe("seekTarget", () => {
  it("stays inside the video", () => {
    expect(seekTarget(10, 5, 30)).toBe(15);
    expect(seekTarget(2, -5, 30)).toBe(0);
    expect(seekTarget(28, 5, 30)).toBe(30);
    expect(seekTarget(28, 5, Number.NaN)).toBe(33);
  });
});

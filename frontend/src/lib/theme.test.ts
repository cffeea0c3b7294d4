import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { applyTheme, chooseTheme, currentTheme, startTheme, THEME_KEY } from "./theme";

let stored: Map<string, string>;
let systemLight: boolean;
let listeners: (() => void)[];
const root = { dataset: {} as Record<string, string> };

beforeEach(() => {
  stored = new Map();
  systemLight = false;
  listeners = [];
  root.dataset = {};
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
  });
  vi.stubGlobal("matchMedia", () => ({
    matches: systemLight,
    addEventListener: (_: string, f: () => void) => listeners.push(f),
  }));
  vi.stubGlobal("document", { documentElement: root });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("theme", () => {
  it("is dark by default, light when the system says so", () => {
    expect(currentTheme()).toBe("dark");
    systemLight = true;
    expect(currentTheme()).toBe("light");
  });

  it("remembers a choice over the system's", () => {
    systemLight = true;
    expect(chooseTheme("dark")).toBe("dark");
    expect(stored.get(THEME_KEY)).toBe("dark");
    expect(root.dataset.theme).toBe("dark");
    expect(currentTheme()).toBe("dark");
  });

  it("ignores what it did not store", () => {
    stored.set(THEME_KEY, "purple");
    expect(currentTheme()).toBe("dark");
  });

  it("works where storage is refused", () => {
    vi.stubGlobal("localStorage", {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
    });
    expect(chooseTheme("light")).toBe("light");
    expect(root.dataset.theme).toBe("light");
  });

  it("follows the system while nothing is chosen", () => {
    startTheme();
    expect(root.dataset.theme).toBe("dark");
    systemLight = true;
    listeners.forEach((f) => f());
    expect(root.dataset.theme).toBe("light");
    chooseTheme("dark");
    listeners.forEach((f) => f());
    expect(root.dataset.theme).toBe("dark");
    expect(applyTheme()).toBe("dark");
  });
});

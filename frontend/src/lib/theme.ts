// The colour theme: the visitor's stored choice, else the system's (prefers-color-scheme),
// else dark. Applied as <html data-theme="…">; theme.css holds the colours.

export type Theme = "dark" | "light";

export const THEME_KEY = "mediashelf-theme";
const LIGHT_QUERY = "(prefers-color-scheme: light)";

export function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === "dark" || value === "light" ? value : null;
  } catch {
    return null; // storage refused (privacy settings): the system's theme
  }
}

export function systemTheme(): Theme {
  return typeof matchMedia === "function" && matchMedia(LIGHT_QUERY).matches ? "light" : "dark";
}

export function currentTheme(): Theme {
  return storedTheme() ?? systemTheme();
}

export function applyTheme(theme: Theme = currentTheme()): Theme {
  document.documentElement.dataset.theme = theme;
  return theme;
}

/** Remember a choice (the toggle) and apply it. */
export function chooseTheme(theme: Theme): Theme {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // not remembered, but applied for this page
  }
  return applyTheme(theme);
}

/** Apply the theme now, and follow the system's while the visitor has chosen none. */
export function startTheme(): void {
  applyTheme();
  if (typeof matchMedia !== "function") return;
  matchMedia(LIGHT_QUERY).addEventListener("change", () => {
    if (storedTheme() === null) applyTheme();
  });
}

// What every page's entry (src/pages/<name>/main.ts) calls: the shared styles, the theme,
// and the page's root component mounted into <div id="app">.
import "./theme.css";
import { mount, type Component } from "svelte";
import { startTheme } from "./theme";

export function startPage(root: Component): void {
  startTheme();
  const target = document.getElementById("app");
  if (!target) throw new Error("the page has no #app element");
  mount(root, { target });
}

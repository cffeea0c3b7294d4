/// <reference types="vitest/config" />
// Vite builds the web UI as a multi-page app: one HTML entry per page (PAGES below; the
// page's HTML file sits next to this file, its code in src/pages/<name>/). The output goes
// to src/mediashelf/web/dist/, which the FastAPI server serves (src/mediashelf/web/pages.py):
// <name>.html, and hashed, immutable files under assets/.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig, type Plugin } from "vite";

/** The pages, each built from `<name>.html`. Adding one: docs/frontend.md. */
export const PAGES = ["login", "gallery", "dashboard", "watch", "browse", "photosets", "account"] as const;

/** The server's page routes (src/mediashelf/web/pages.py) and the page each one serves,
 * so that `npm run dev` answers them from source as the server answers them built. */
const ROUTES: [RegExp, (typeof PAGES)[number]][] = [
  [/^\/(\?.*)?$/, "gallery"],
  [/^\/login(\?.*)?$/, "login"],
  [/^\/admin(\?.*)?$/, "dashboard"],
  [/^\/watch\/\d+(\?.*)?$/, "watch"],
  [/^\/(tags|performers|studios|discover)(\?.*)?$/, "browse"],
  [/^\/photosets(\/\d+)?(\?.*)?$/, "photosets"],
  [/^\/account(\?.*)?$/, "account"],
];

function pageRoutes(): Plugin {
  return {
    name: "mediashelf-page-routes",
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url ?? "/";
        const found = ROUTES.find(([pattern]) => pattern.test(url));
        if (found) req.url = `/${found[1]}.html${url.includes("?") ? url.slice(url.indexOf("?")) : ""}`;
        next();
      });
    },
  };
}

/** Where `npm run dev` sends what it does not serve itself: `mediashelf serve`. */
const BACKEND = process.env.MEDIASHELF_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [svelte(), pageRoutes()],
  appType: "mpa", // /login -> login.html in `npm run dev`; no single-page fallback
  input: Object.fromEntries(PAGES.map((name) => [name, `${name}.html`])),
  build: {
    outDir: "../src/mediashelf/web/dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // The page CSP allows no data: fonts or scripts: every asset is a file of its own.
    assetsInlineLimit: 0,
    // Every browser that runs Svelte 5 knows modulepreload: no polyfill in each page.
    modulePreload: { polyfill: false },
    target: "es2022",
    reportCompressedSize: true,
  },
  server: {
    // Everything but the pages comes from `mediashelf serve`. The Host header is kept
    // (changeOrigin: false): the server's Origin check compares it with Origin.
    proxy: Object.fromEntries(
      ["/api", "/media", "/video", "/openapi.json", "/docs"].map(
        (p) => [p, { target: BACKEND, changeOrigin: false }],
      ),
    ),
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

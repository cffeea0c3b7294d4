// The first gallery page: a justified grid of thumbnails, fetched page by page
// from the public API as you scroll. The full UI comes with the Svelte app.
import { accountCorner, api } from "/static/session.js";

const grid = document.getElementById("grid");
const more = document.getElementById("more");
const message = document.getElementById("message");
const count = document.getElementById("count");
const viewer = document.getElementById("viewer");
const viewerImg = document.getElementById("viewer-img");
const viewerCaption = document.getElementById("viewer-caption");

let kind = new URLSearchParams(location.search).get("kind") || "";
let cursor = null;
let loading = false;
let done = false;
let generation = 0;

function show(html) {
  message.innerHTML = html;
  message.hidden = false;
}

function tile(item) {
  const ratio = item.width && item.height ? item.width / item.height : 1;
  const el = document.createElement("button");
  el.type = "button";
  el.className = "tile " + item.kind;
  el.style.setProperty("--ratio", String(ratio));
  el.style.flexGrow = String(ratio * 100); // factors summing below 1 would leave gaps
  el.title = item.path;
  if (item.thumbnails) {
    const img = document.createElement("img");
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = item.name;
    img.sizes = `${Math.round(200 * ratio)}px`;
    setSources(img, item.thumbnails, "");
    // Not made yet (a job is on it): tried again when a thumbnail job finishes.
    img.addEventListener("error", () => waiting.set(img, item.thumbnails));
    el.append(img);
    if (item.kind === "video") {
      el.addEventListener("click", () => (location.href = `/watch/${item.id}`));
      const teaser = item.previews && item.previews.teaser_small;
      if (teaser) hoverTeaser(el, teaser);
    } else {
      el.addEventListener("click", () => openViewer(item));
    }
  } else if (item.error) {
    el.classList.add("broken");
    el.title = `${item.path}: ${item.error}`;
    el.append(Object.assign(document.createElement("strong"), { textContent: "⚠ " + item.name }));
    el.append(Object.assign(document.createElement("small"), { textContent: item.error }));
  } else {
    el.textContent = item.kind === "video" ? "▶ " + item.name : item.name;
    const target = item.kind === "video" ? `/watch/${item.id}` : item.original;
    el.addEventListener("click", () => (location.href = target));
  }
  if (item.kind === "video") {
    const badge = document.createElement("span");
    badge.className = "badge";
    const secs = item.video ? Math.round(item.video.duration) : null;
    badge.textContent = secs === null ? "video"
      : `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
    el.append(badge);
  }
  return el;
}

function setSources(img, t, suffix) {
  img.src = t.small + suffix;
  img.srcset = `${t.small}${suffix} 256w, ${t.medium}${suffix} 512w, ${t.large}${suffix} 1024w`;
}

// Live updates from /api/v1/events: new files appear, late thumbnails fill in.
const waiting = new Map();
let retries = 0;
let retryTimer = null;
let refreshTimer = null;

function retryWaiting() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    retries += 1;
    for (const [img, thumbs] of waiting) {
      waiting.delete(img);
      if (img.isConnected) setSources(img, thumbs, `&retry=${retries}`);
    }
  }, 700);
}

function libraryChanged() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => (window.scrollY < 300 ? reset() : loadCount()), 800);
}

if (window.EventSource) {
  const events = new EventSource("/api/v1/events");
  events.addEventListener("library", (e) => {
    const d = JSON.parse(e.data);
    if (d.new || d.changed || d.moved || d.missing) libraryChanged();
  });
  events.addEventListener("job", (e) => {
    const d = JSON.parse(e.data);
    if (d.kind === "thumbnail" && d.status === "done" && waiting.size) retryWaiting();
  });
}

function hoverTeaser(el, url) {
  // A video tile plays its teaser (a silent MP4 of short clips) while the pointer rests.
  let clip = null;
  el.addEventListener("mouseenter", () => {
    clip = Object.assign(document.createElement("video"), {
      src: url, muted: true, loop: true, autoplay: true, playsInline: true,
    });
    clip.className = "teaser";
    clip.addEventListener("error", () => clip && clip.remove());
    el.append(clip);
  });
  el.addEventListener("mouseleave", () => {
    if (clip) clip.remove();
    clip = null;
  });
}

function openViewer(item) {
  viewerImg.src = item.thumbnails.large;
  viewerImg.alt = item.name;
  viewerCaption.textContent = (item.caption ? `${item.caption} — ` : "") +
    `${item.path} · ${item.width}×${item.height}` +
    (item.taken_at ? ` · ${item.taken_at.replace("T", " ")}` : "");
  viewer.showModal();
}
viewer.addEventListener("click", () => viewer.close());

async function loadPage() {
  if (loading || done) return;
  loading = true;
  const mine = generation;
  const params = new URLSearchParams({ limit: "120" });
  if (kind) params.set("kind", kind);
  if (cursor) params.set("cursor", cursor);
  try {
    const res = await api(`/api/v1/items?${params}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.detail || res.statusText);
    if (mine !== generation) return;
    grid.append(...body.items.map(tile));
    cursor = body.next_cursor;
    done = !cursor;
    if (!grid.children.length) {
      show("Nothing here yet. Put photos and videos in <code>./media</code> (or set " +
        "<code>MEDIA_DIR</code>): they appear here within seconds.");
    }
  } catch (err) {
    show(`Could not load the library: ${String(err.message || err).replace(/</g, "&lt;")}`);
    done = true;
  } finally {
    loading = false;
  }
}

async function loadCount() {
  const res = await api(`/api/v1/items/count${kind ? "?kind=" + kind : ""}`);
  if (res.ok) {
    const n = (await res.json()).count;
    count.textContent = `${n.toLocaleString()} item${n === 1 ? "" : "s"}`;
  }
}

function reset() {
  generation += 1;
  cursor = null;
  done = false;
  loading = false;
  grid.replaceChildren();
  message.hidden = true;
  for (const b of document.querySelectorAll("nav button")) {
    b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
  }
  loadCount();
  loadPage();
}

for (const b of document.querySelectorAll("nav button")) {
  b.addEventListener("click", () => {
    kind = b.dataset.kind;
    history.replaceState(null, "", kind ? `?kind=${kind}` : location.pathname);
    reset();
  });
}

new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadPage();
}, { rootMargin: "1200px" }).observe(more);

reset();

accountCorner(document.getElementById("account"));

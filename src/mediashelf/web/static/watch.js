// The watch page: a <video> that plays directly when the browser can, else through
// HLS (hls.js, or the browser's own in Safari); a seek bar that shows the sprite
// thumbnails (WebVTT cues `sheetNNN.jpg#xywh=x,y,w,h`) under the pointer.
import { accountCorner, api } from "/static/session.js";

const video = document.getElementById("video");
const scrub = document.getElementById("scrub");
const fill = document.getElementById("scrub-fill");
const tip = document.getElementById("tip");
const tipImg = document.getElementById("tip-img");
const tipTime = document.getElementById("tip-time");
const message = document.getElementById("message");

function say(text) {
  message.textContent = text;
  message.hidden = false;
}

function clock(t) {
  const s = Math.max(0, Math.floor(t));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms.map((n) => String(n).padStart(2, "0"));
  return (hms[0] ? `${h}:` : "") + `${m}:${sec}`;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = Object.assign(document.createElement("script"), { src });
    el.onload = resolve;
    el.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(el);
  });
}

async function play(item) {
  const v = item.video;
  if (v.playable === "direct") {
    video.src = v.stream;
    return "direct";
  }
  // hls.js where the browser has Media Source Extensions (it seeks and recovers
  // better), else the browser's own HLS (Safari on iPhone).
  const native = video.canPlayType("application/vnd.apple.mpegurl");
  let hlsjs = false;
  if (window.MediaSource) {
    hlsjs = await loadScript("/static/vendor/hls.min.js").then(
      () => Boolean(window.Hls && window.Hls.isSupported()),
      () => false,
    );
  }
  if (!hlsjs) {
    if (native) {
      video.src = v.hls;
      return "hls";
    }
    say("This video needs hls.js, which is not installed (run make with Node 20+).");
    return "none";
  }
  const hls = new window.Hls({ maxBufferLength: 30 });
  hls.on(window.Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) say(`Playback failed: ${data.details}`);
  });
  hls.loadSource(v.hls);
  hls.attachMedia(video);
  return "hls.js";
}

function parseVtt(text, base) {
  const cues = [];
  const time = (s) => s.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
  for (const block of text.split(/\n\n+/)) {
    const lines = block.trim().split("\n");
    const arrow = lines.findIndex((l) => l.includes("-->"));
    if (arrow < 0 || !lines[arrow + 1]) continue;
    const [start, end] = lines[arrow].split("-->").map((s) => time(s.trim()));
    const [file, frag] = lines[arrow + 1].trim().split("#xywh=");
    const [x, y, w, h] = frag.split(",").map(Number);
    cues.push({ start, end, url: new URL(file, base).href, x, y, w, h });
  }
  return cues;
}

async function sprites(item) {
  const url = item.previews && item.previews.sprites;
  if (!url) return [];
  const res = await api(url);
  if (!res.ok) return []; // not made yet
  return parseVtt(await res.text(), new URL(url, location.href).href);
}

function wireScrub(duration, cues) {
  const at = (event) => {
    const box = scrub.getBoundingClientRect();
    const frac = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    return { frac, t: frac * duration };
  };
  scrub.addEventListener("mousemove", (event) => {
    const { frac, t } = at(event);
    const cue = cues.find((c) => t >= c.start && t < c.end);
    tip.hidden = false;
    tip.style.left = `${frac * 100}%`;
    tipTime.textContent = clock(t);
    if (cue) {
      Object.assign(tipImg.style, {
        width: `${cue.w}px`,
        height: `${cue.h}px`,
        backgroundImage: `url("${cue.url}")`,
        backgroundPosition: `-${cue.x}px -${cue.y}px`,
      });
    }
  });
  scrub.addEventListener("mouseleave", () => (tip.hidden = true));
  scrub.addEventListener("click", (event) => {
    video.currentTime = at(event).t;
  });
  scrub.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: -5, ArrowRight: 5 }[event.key];
    if (step) video.currentTime = Math.min(duration, Math.max(0, video.currentTime + step));
  });
  scrub.setAttribute("aria-valuemax", String(Math.round(duration)));
  video.addEventListener("timeupdate", () => {
    fill.style.width = `${(100 * video.currentTime) / duration}%`;
    scrub.setAttribute("aria-valuenow", String(Math.round(video.currentTime)));
  });
}

async function main() {
  const id = location.pathname.split("/").filter(Boolean).pop();
  const res = await api(`/api/v1/items/${encodeURIComponent(id)}`);
  if (!res.ok) {
    say(res.status === 404 ? "No such video." : `Cannot load the video (${res.status}).`);
    return;
  }
  const item = await res.json();
  document.title = `${item.name} · Mediashelf`;
  document.getElementById("title").textContent = item.path;
  document.getElementById("caption").textContent = item.caption || "";
  if (item.kind !== "video" || !item.video) {
    say(item.error || "This video is still being read; reload in a moment.");
    return;
  }
  if (item.thumbnails) video.poster = item.thumbnails.large;
  const v = item.video;
  const how = await play(item);
  video.dataset.mode = how;
  document.getElementById("facts").textContent =
    `${item.width}×${item.height} · ${clock(v.duration)} · ${v.container}, ` +
    `${v.video_codec}${v.audio_codec ? " + " + v.audio_codec : ""} · ` +
    (how === "direct" ? "playing the original" : "playing through HLS");
  wireScrub(v.duration, await sprites(item));
}

main();

accountCorner(document.getElementById("account"));

// The lightbox's calls: EXIF, captions (with their history) and named crops. These routes
// declare only "an object", so the answers are read field by field here (tested).
import { api } from "../api/client";

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A row of the EXIF list: a label and its text (and a link, for the GPS position). */
export interface Fact {
  label: string;
  text: string;
  href?: string;
}

function exposureText(exposure: Json | null): string | null {
  if (!exposure) return null;
  const parts: string[] = [];
  const t = num(exposure.exposure_time) ?? str(exposure.exposure_time);
  if (typeof t === "number") parts.push(t >= 1 || t <= 0 ? `${t} s` : `1/${Math.round(1 / t)} s`);
  else if (t) parts.push(`${t} s`);
  const f = num(exposure.f_number);
  if (f !== null) parts.push(`f/${f}`);
  const iso = num(exposure.iso);
  if (iso !== null) parts.push(`ISO ${iso}`);
  const fl = num(exposure.focal_length);
  const fl35 = num(exposure.focal_length_35mm);
  if (fl !== null) parts.push(fl35 !== null && fl35 !== fl ? `${fl} mm (${fl35} mm equiv.)` : `${fl} mm`);
  const flash = exposure.flash;
  if (typeof flash === "boolean") parts.push(flash ? "flash" : "no flash");
  else if (str(flash)) parts.push(String(flash));
  return parts.length ? parts.join(" · ") : null;
}

/** The EXIF answer as rows; keys the server leaves out are left out. */
export function exifFacts(json: unknown): Fact[] {
  const exif = obj(obj(json)?.exif);
  if (!exif) return [];
  const facts: Fact[] = [];
  const camera = obj(exif.camera);
  const make = str(camera?.make);
  const model = str(camera?.model);
  const cam = make && model && !model.toLowerCase().startsWith(make.toLowerCase()) ? `${make} ${model}` : (model ?? make);
  if (cam) facts.push({ label: "Camera", text: cam });
  const lens = str(exif.lens) ?? str(obj(exif.lens)?.model);
  if (lens) facts.push({ label: "Lens", text: lens });
  const exposure = exposureText(obj(exif.exposure));
  if (exposure) facts.push({ label: "Exposure", text: exposure });
  const taken = str(exif.taken_at);
  if (taken) facts.push({ label: "Taken", text: taken.replace("T", " ") });
  const software = str(exif.software);
  if (software) facts.push({ label: "Software", text: software });
  const gps = obj(exif.gps);
  const lat = num(gps?.latitude);
  const lon = num(gps?.longitude);
  if (lat !== null && lon !== null) {
    const alt = num(gps?.altitude);
    const text = `${lat.toFixed(5)}, ${lon.toFixed(5)}${alt !== null ? ` · ${Math.round(alt)} m` : ""}`;
    const href = `https://www.openstreetmap.org/?mlat=${lat.toFixed(6)}&mlon=${lon.toFixed(6)}#map=15/${lat.toFixed(6)}/${lon.toFixed(6)}`;
    facts.push({ label: "Location", text, href });
  }
  return facts;
}

export async function loadExif(id: number): Promise<Fact[]> {
  return exifFacts(await api.get("/api/v1/items/{item_id}/exif", { path: { item_id: id } }));
}

export interface CaptionVersion {
  id: number;
  text: string;
  source: string;
  author: string | null;
  model: string | null;
  createdAt: string;
}

export interface Captions {
  current: CaptionVersion | null;
  history: CaptionVersion[];
}

function version(value: unknown): CaptionVersion | null {
  const v = obj(value);
  const id = num(v?.id);
  if (!v || id === null || typeof v.text !== "string") return null;
  return {
    id,
    text: v.text,
    source: str(v.source) ?? "manual",
    author: str(v.author),
    model: str(v.model),
    createdAt: str(v.created_at) ?? "",
  };
}

export function readCaptions(json: unknown): Captions {
  const j = obj(json);
  const history = Array.isArray(j?.history) ? j.history.map(version).filter((v): v is CaptionVersion => v !== null) : [];
  return { current: version(j?.current), history };
}

export async function loadCaptions(id: number): Promise<Captions> {
  return readCaptions(await api.get("/api/v1/items/{item_id}/caption", { path: { item_id: id } }));
}

export async function saveCaption(id: number, text: string): Promise<Captions> {
  return readCaptions(await api.post("/api/v1/items/{item_id}/caption", { path: { item_id: id }, body: { text } }));
}

export interface SavedCrop {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  aspect: string | null;
  updatedAt: string;
  url: string;
}

export function readCrops(json: unknown, itemId: number): SavedCrop[] {
  const list = obj(json)?.crops;
  if (!Array.isArray(list)) return [];
  const out: SavedCrop[] = [];
  for (const entry of list) {
    const c = obj(entry);
    const name = str(c?.name);
    const [x, y, width, height] = [num(c?.x), num(c?.y), num(c?.width), num(c?.height)];
    if (!c || !name || x === null || y === null || width === null || height === null) continue;
    // Our own URL, whatever the answer says: the name encoded.
    const url = `/api/v1/items/${itemId}/cropped?name=${encodeURIComponent(name)}`;
    out.push({ name, x, y, width, height, aspect: str(c.aspect), updatedAt: str(c.updated_at) ?? "", url });
  }
  return out;
}

export async function loadCrops(id: number): Promise<SavedCrop[]> {
  return readCrops(await api.get("/api/v1/items/{item_id}/crop", { path: { item_id: id } }), id);
}

export async function saveCrop(
  id: number,
  crop: { name: string; x: number; y: number; width: number; height: number; aspect: string | null },
): Promise<SavedCrop[]> {
  return readCrops(await api.post("/api/v1/items/{item_id}/crop", { path: { item_id: id }, body: crop }), id);
}

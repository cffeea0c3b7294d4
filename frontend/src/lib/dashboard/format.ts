// Numbers and times as the dashboard shows them.

/** The server writes UTC times without an offset (datetime.isoformat() of a naive UTC
 * time): read them as UTC, not as the browser's local time. */
export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : `${iso}Z`;
  const date = new Date(zoned);
  return Number.isNaN(date.getTime()) ? null : date;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 minutes ago", "in 2 days", "just now"; `never` when there is no time. */
export function relativeTime(iso: string | null | undefined, now: Date = new Date(), never = "never"): string {
  const when = parseTime(iso);
  if (when === null) return never;
  const seconds = (when.getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 45 ? "just now" : format.format(Math.round(seconds), "second");
}

/** The full date and time, for a title attribute. */
export function fullTime(iso: string | null | undefined): string {
  const when = parseTime(iso);
  return when === null ? "" : when.toLocaleString();
}

const COUNT = new Intl.NumberFormat("en");

export function count(n: number): string {
  return COUNT.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Seconds a job took (or has been running), as "2.4 s", "3 min 5 s", "1 h 2 min". */
export function duration(from: string | null, to: string | null, now: Date = new Date()): string {
  const start = parseTime(from);
  if (start === null) return "";
  const end = parseTime(to) ?? now;
  const s = Math.max(0, (end.getTime() - start.getTime()) / 1000);
  if (s < 0.1) return "under 0.1 s";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A percentage for a progress bar: "42%". */
export function percent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

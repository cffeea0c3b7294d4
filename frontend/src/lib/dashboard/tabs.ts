// The dashboard's sections, one shown at a time; the URL's hash names it (#jobs), so a
// reload, a link or the back button opens the same one.

export const TABS = [
  { id: "overview", label: "Overview", short: "Overview" },
  { id: "jobs", label: "Jobs", short: "Jobs" },
  { id: "settings", label: "Settings", short: "Settings" },
  { id: "filters", label: "Filters", short: "Filters" },
  { id: "users", label: "Users & keys", short: "Users" }, // short: on a phone
] as const;

export type TabId = (typeof TABS)[number]["id"];

export const DEFAULT_TAB: TabId = "overview";

export function isTab(value: string): value is TabId {
  return TABS.some((tab) => tab.id === value);
}

/** The tab a location's hash names ("#jobs", "jobs", "#Jobs"), else the first. */
export function tabFromHash(hash: string): TabId {
  const name = decodeURIComponent(hash.replace(/^#/, "")).trim().toLowerCase();
  return isTab(name) ? name : DEFAULT_TAB;
}

export function hashFor(tab: TabId): string {
  return `#${tab}`;
}

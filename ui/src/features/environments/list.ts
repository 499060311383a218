// The Environments list's search, filters and sort, as plain functions: tested without a window.
import type { EnvironmentRowView, EnvironmentStatusView } from "../../ipc";
import { environmentStatus } from "../../lib/describe";

/** A column the list sorts by. */
export type SortKey = "environment" | "app" | "branch" | "status" | "created" | "expiry";

export interface Sort {
  key: SortKey;
  dir: "asc" | "desc";
}

/** Newest first, until a header is clicked. */
export const DEFAULT_SORT: Sort = { key: "created", dir: "desc" };

/** What the list shows; an empty `app`, `branch` or `status` is "All". */
export interface Filters {
  /** Words each of which the row must contain: its id, app, branch, status, version, URLs. */
  query: string;
  app: string;
  branch: string;
  status: EnvironmentStatusView | "";
  /** Torn-down environments are hidden unless asked for (or filtered for by status). */
  showTornDown: boolean;
}

export const NO_FILTERS: Filters = {
  query: "",
  app: "",
  branch: "",
  status: "",
  showTornDown: false,
};

/** The status column's order: what needs a look first, what is gone last. */
const STATUS_ORDER: EnvironmentStatusView[] = [
  "failed",
  "teardownFailed",
  "interrupted",
  "degraded",
  "settingUp",
  "patching",
  "tearingDown",
  "pausing",
  "resuming",
  "deployed",
  "paused",
  "created",
  "tornDown",
];

function haystack(row: EnvironmentRowView): string {
  const env = row.environment;
  return [
    env.envId,
    env.app,
    env.branch,
    env.version,
    env.runtime,
    environmentStatus(env.status).label,
    ...row.urls.map((u) => u.url),
  ]
    .join(" ")
    .toLowerCase();
}

/** Whether the row passes the search and the app, branch and status filters (not the toggle). */
export function matches(row: EnvironmentRowView, filters: Filters): boolean {
  const env = row.environment;
  if (filters.app !== "" && env.app !== filters.app) return false;
  if (filters.branch !== "" && env.branch !== filters.branch) return false;
  if (filters.status !== "" && env.status !== filters.status) return false;
  const words = filters.query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = haystack(row);
  return words.every((word) => text.includes(word));
}

/** Torn-down rows are shown when the toggle is on, or when the status filter asks for them. */
function shown(row: EnvironmentRowView, filters: Filters): boolean {
  return (
    row.environment.status !== "tornDown" || filters.showTornDown || filters.status === "tornDown"
  );
}

export function filterRows(rows: EnvironmentRowView[], filters: Filters): EnvironmentRowView[] {
  return rows.filter((row) => matches(row, filters) && shown(row, filters));
}

/** How many torn-down environments the toggle would show: those the other filters let through. */
export function tornDownCount(rows: EnvironmentRowView[], filters: Filters): number {
  return rows.filter((row) => row.environment.status === "tornDown" && matches(row, filters))
    .length;
}

function sortValue(row: EnvironmentRowView, key: SortKey): string | number {
  const env = row.environment;
  switch (key) {
    case "environment":
      return env.envId;
    case "app":
      return env.app;
    case "branch":
      return env.branch;
    case "status":
      return STATUS_ORDER.indexOf(env.status);
    case "created":
      return Date.parse(env.createdAt);
    case "expiry":
      // Permanent and torn-down environments never expire: after every date.
      return env.expiresAt === null || env.status === "tornDown"
        ? Number.POSITIVE_INFINITY
        : Date.parse(env.expiresAt);
  }
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a === b ? 0 : a < b ? -1 : 1;
  return String(a).localeCompare(String(b));
}

/** A sorted copy; ties fall back to the environment's id, so the order never jumps and the
 *  other direction is exactly its reverse. */
export function sortRows(rows: EnvironmentRowView[], sort: Sort): EnvironmentRowView[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  return [...rows].sort(
    (a, b) =>
      sign *
      (compare(sortValue(a, sort.key), sortValue(b, sort.key)) ||
        a.environment.envId.localeCompare(b.environment.envId)),
  );
}

/** The rows the list shows, in its order. */
export function visibleRows(
  rows: EnvironmentRowView[],
  filters: Filters,
  sort: Sort,
): EnvironmentRowView[] {
  return sortRows(filterRows(rows, filters), sort);
}

/** A header clicked: its column ascending, or the other way when it sorted already. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key !== key) return { key, dir: "asc" };
  return { key, dir: current.dir === "asc" ? "desc" : "asc" };
}

/** The header's `aria-sort`. */
export function ariaSort(sort: Sort, key: SortKey): "ascending" | "descending" | "none" {
  if (sort.key !== key) return "none";
  return sort.dir === "asc" ? "ascending" : "descending";
}

/** What the filters offer: each app, branch and status some environment has, sorted. */
export function choices(rows: EnvironmentRowView[]): {
  apps: string[];
  branches: string[];
  statuses: EnvironmentStatusView[];
} {
  const distinct = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b));
  const present = new Set(rows.map((r) => r.environment.status));
  return {
    apps: distinct(rows.map((r) => r.environment.app)),
    branches: distinct(rows.map((r) => r.environment.branch)),
    statuses: STATUS_ORDER.filter((s) => present.has(s)),
  };
}

import { describe, expect, it } from "vitest";
import type { EnvironmentRowView, EnvironmentView } from "../../ipc";
import {
  ariaSort,
  choices,
  DEFAULT_SORT,
  filterRows,
  NO_FILTERS,
  nextSort,
  sortRows,
  tornDownCount,
  visibleRows,
  type Filters,
} from "./list";

function row(over: Partial<EnvironmentView>, urls: string[] = []): EnvironmentRowView {
  return {
    environment: {
      envId: "e0",
      app: "shop",
      branch: "main",
      ephemeral: true,
      version: "v1.1",
      runtime: "docker",
      status: "deployed",
      expiresAt: "2026-11-28T00:00:00.000Z",
      createdAt: "2026-11-26T00:00:00.000Z",
      ...over,
    },
    activity: null,
    urls: urls.map((url) => ({ service: "web", url, direct: null })),
    services: null,
  };
}

const rows = [
  row({ envId: "a1", app: "shop", branch: "main", status: "deployed" }, ["http://127.0.0.1:2481"]),
  row({
    envId: "b2",
    app: "blog",
    branch: "feature/cart",
    status: "failed",
    expiresAt: "2026-11-27T00:00:00.000Z",
    createdAt: "2026-11-25T00:00:00.000Z",
  }),
  row({
    envId: "c3",
    app: "shop",
    branch: "feature/cart",
    status: "tornDown",
    createdAt: "2026-11-27T00:00:00.000Z",
  }),
  row({
    envId: "d4",
    app: "shop",
    branch: "main",
    status: "settingUp",
    ephemeral: false,
    expiresAt: null,
    createdAt: "2026-11-24T00:00:00.000Z",
  }),
];

const ids = (list: EnvironmentRowView[]) => list.map((r) => r.environment.envId);
const only = (over: Partial<Filters>) => ids(filterRows(rows, { ...NO_FILTERS, ...over }));

describe("searching", () => {
  it("finds by id, app, branch, status and URL, every word matching, in any case", () => {
    expect(only({ query: "B2" })).toEqual(["b2"]);
    expect(only({ query: "blog" })).toEqual(["b2"]);
    expect(only({ query: "feature/" })).toEqual(["b2"]);
    expect(only({ query: "setting up" })).toEqual(["d4"]);
    expect(only({ query: "127.0.0.1" })).toEqual(["a1"]);
    expect(only({ query: "shop main" })).toEqual(["a1", "d4"]);
    expect(only({ query: "shop blog" })).toEqual([]);
    expect(only({ query: "   " })).toEqual(["a1", "b2", "d4"]);
  });
});

describe("filtering", () => {
  it("by app", () => {
    expect(only({ app: "shop" })).toEqual(["a1", "d4"]);
  });

  it("by branch", () => {
    expect(only({ branch: "feature/cart" })).toEqual(["b2"]);
  });

  it("by status, torn down ones too when that is the status asked for", () => {
    expect(only({ status: "failed" })).toEqual(["b2"]);
    expect(only({ status: "tornDown" })).toEqual(["c3"]);
  });

  it("hides torn down environments until the toggle shows them, and counts them", () => {
    expect(only({})).not.toContain("c3");
    expect(only({ showTornDown: true })).toEqual(["a1", "b2", "c3", "d4"]);
    expect(tornDownCount(rows, NO_FILTERS)).toBe(1);
    // Counted among what the other filters let through.
    expect(tornDownCount(rows, { ...NO_FILTERS, app: "blog" })).toBe(0);
    expect(tornDownCount(rows, { ...NO_FILTERS, branch: "feature/cart" })).toBe(1);
  });

  it("offers each app, branch and status present, sorted", () => {
    expect(choices(rows)).toEqual({
      apps: ["blog", "shop"],
      branches: ["feature/cart", "main"],
      statuses: ["failed", "settingUp", "deployed", "tornDown"],
    });
  });
});

describe("sorting", () => {
  const all = rows;
  const by = (key: Parameters<typeof nextSort>[1], dir: "asc" | "desc") =>
    ids(sortRows(all, { key, dir }));

  it("by each column, both ways (the other way exactly reversed, ties too)", () => {
    expect(by("environment", "asc")).toEqual(["a1", "b2", "c3", "d4"]);
    expect(by("environment", "desc")).toEqual(["d4", "c3", "b2", "a1"]);
    expect(by("app", "asc")).toEqual(["b2", "a1", "c3", "d4"]);
    expect(by("app", "desc")).toEqual(["d4", "c3", "a1", "b2"]);
    expect(by("branch", "asc")).toEqual(["b2", "c3", "a1", "d4"]);
    expect(by("status", "asc")).toEqual(["b2", "d4", "a1", "c3"]);
    expect(by("status", "desc")).toEqual(["c3", "a1", "d4", "b2"]);
    expect(by("created", "asc")).toEqual(["d4", "b2", "a1", "c3"]);
    expect(by("created", "desc")).toEqual(["c3", "a1", "b2", "d4"]);
  });

  it("by expiry: the soonest first, what never expires (permanent, torn down) last", () => {
    expect(by("expiry", "asc")).toEqual(["b2", "a1", "c3", "d4"]);
    expect(by("expiry", "desc")).toEqual(["d4", "c3", "a1", "b2"]);
  });

  it("reverses on a second click of the same header, and marks it for assistive technology", () => {
    const first = nextSort(DEFAULT_SORT, "app");
    expect(first).toEqual({ key: "app", dir: "asc" });
    const second = nextSort(first, "app");
    expect(second).toEqual({ key: "app", dir: "desc" });
    expect(nextSort(second, "app")).toEqual(first);
    expect(ariaSort(second, "app")).toBe("descending");
    expect(ariaSort(first, "app")).toBe("ascending");
    expect(ariaSort(first, "branch")).toBe("none");
  });

  it("filters, then sorts", () => {
    expect(ids(visibleRows(rows, { ...NO_FILTERS, app: "shop" }, DEFAULT_SORT))).toEqual([
      "a1",
      "d4",
    ]);
  });
});

import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import AppsScreen from "./AppsScreen.svelte";
import { appsApi, shop } from "./fakeApp";

describe("the apps list", () => {
  it("shows each app's folder, branch, GitOps and auto deploy, and opens the one clicked", async () => {
    const blog = {
      ...shop,
      name: "blog",
      repoPath: "/home/dev/src/blog",
      trackingBranch: "trunk",
      gitops: true,
      autoDeploy: true,
    };
    const open = vi.fn();
    render(AppsScreen, { api: appsApi({ apps: () => Promise.resolve([shop, blog]) }), open });

    const rows = await screen.findAllByTestId("app-row");
    expect(rows.map((r) => r.dataset.app)).toEqual(["shop", "blog"]);
    const cells = (row: HTMLElement) => [...row.querySelectorAll("td")].map((c) => c.textContent);
    expect(cells(rows[0] as HTMLElement)).toEqual([
      "shop",
      "/home/dev/src/shop",
      "main",
      "off",
      "off",
    ]);
    expect(cells(rows[1] as HTMLElement)).toEqual([
      "blog",
      "/home/dev/src/blog",
      "trunk",
      "on",
      "on",
    ]);

    await fireEvent.click(screen.getAllByTestId("open-app")[1] as HTMLElement);
    expect(open).toHaveBeenCalledWith("blog");
  });

  it("with no app, says to add one on the Environments screen", async () => {
    render(AppsScreen, { api: appsApi({ apps: () => Promise.resolve([]) }), open: () => {} });

    expect((await screen.findByTestId("no-apps")).textContent).toContain("Add an app");
    expect(screen.getByTestId("apps-add-link").getAttribute("href")).toBe("#environments");
    expect(screen.queryByTestId("apps")).toBeNull();
  });

  it("says why the apps could not be read", async () => {
    render(AppsScreen, {
      api: appsApi({
        apps: () => Promise.reject({ code: "STORE_QUERY", message: "the database is locked" }),
      }),
      open: () => {},
    });

    expect((await screen.findByTestId("apps-error")).textContent).toContain(
      "the database is locked",
    );
    expect(screen.queryByTestId("no-apps")).toBeNull();
  });
});

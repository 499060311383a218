import { describe, expect, it } from "vitest";
import { parseRoute, routeHash, type Route } from "./route";

describe("routes", () => {
  it("reads the screen from the hash", () => {
    expect(parseRoute("")).toEqual({ screen: "environments" });
    expect(parseRoute("#environments")).toEqual({ screen: "environments" });
    expect(parseRoute("#system")).toEqual({ screen: "system" });
    expect(parseRoute("#environment/ted1bc4")).toEqual({
      screen: "environment",
      envId: "ted1bc4",
    });
    expect(parseRoute("#environment/my%20env")).toEqual({
      screen: "environment",
      envId: "my env",
    });
    expect(parseRoute("#nonsense")).toEqual({ screen: "environments" });
  });

  it("reads the apps and an app, its name decoded", () => {
    expect(parseRoute("#apps")).toEqual({ screen: "apps" });
    expect(parseRoute("#app/shop")).toEqual({ screen: "app", name: "shop" });
    expect(parseRoute("#app/my%2Fshop")).toEqual({ screen: "app", name: "my/shop" });
    expect(parseRoute("#app/")).toEqual({ screen: "environments" });
  });

  it("writes the hash each route is read back from", () => {
    const routes: Route[] = [
      { screen: "environments" },
      { screen: "environment", envId: "my env" },
      { screen: "apps" },
      { screen: "app", name: "my/shop #2" },
      { screen: "system" },
    ];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
    expect(routeHash({ screen: "app", name: "my shop" })).toBe("#app/my%20shop");
  });
});

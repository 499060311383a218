// Which screen the window shows, read from the address's hash.
export type Route =
  | { screen: "environments" }
  | { screen: "environment"; envId: string }
  | { screen: "apps" }
  | { screen: "app"; name: string }
  | { screen: "system" };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  if (path === "system") return { screen: "system" };
  if (path === "apps") return { screen: "apps" };
  const environment = /^environment\/(.+)$/.exec(path);
  if (environment?.[1]) return { screen: "environment", envId: decodeURIComponent(environment[1]) };
  const app = /^app\/(.+)$/.exec(path);
  if (app?.[1]) return { screen: "app", name: decodeURIComponent(app[1]) };
  return { screen: "environments" };
}

/** The hash that opens the route: `parseRoute(routeHash(r))` is `r`. */
export function routeHash(route: Route): string {
  switch (route.screen) {
    case "environment":
      return `#environment/${encodeURIComponent(route.envId)}`;
    case "app":
      return `#app/${encodeURIComponent(route.name)}`;
    default:
      return `#${route.screen}`;
  }
}

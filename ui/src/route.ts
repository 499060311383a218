// Which screen the window shows, read from the address's hash.
export type Route =
  { screen: "environments" } | { screen: "environment"; envId: string } | { screen: "system" };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  if (path === "system") return { screen: "system" };
  const match = /^environment\/(.+)$/.exec(path);
  if (match?.[1]) return { screen: "environment", envId: decodeURIComponent(match[1]) };
  return { screen: "environments" };
}

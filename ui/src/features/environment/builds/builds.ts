// What the Builds tab shows of each build: plain functions, tested alone.
import type { BuildView } from "../../../ipc";

/** The builds shown: only those `envId`'s deploys made, unless all of the app's are asked for. */
export function shownBuilds(builds: BuildView[], envId: string, all: boolean): BuildView[] {
  return all ? builds : builds.filter((b) => b.environment === envId || b.live);
}

/** What started a build, without the commit the other columns show, and without the
 *  environment when it is `envId`: `deploy 4`, `deploy 4 of ted1bc4`. */
export function triggerShort(trigger: string, envId?: string): string {
  const colon = trigger.indexOf(": ");
  const what = colon < 0 ? trigger : trigger.slice(0, colon);
  return envId !== undefined && what.endsWith(` of ${envId}`)
    ? what.slice(0, -` of ${envId}`.length)
    : what;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", for a stored time. */
export function ago(at: string, now: number): string {
  const seconds = Math.max(0, (now - Date.parse(at)) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

/** The size of all of a build's images. */
export function totalSize(build: BuildView): number {
  return build.images.reduce((sum, i) => sum + (i.sizeBytes ?? 0), 0);
}

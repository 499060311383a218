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

/** The size of all of a build's images. */
export function totalSize(build: BuildView): number {
  return build.images.reduce((sum, i) => sum + (i.sizeBytes ?? 0), 0);
}

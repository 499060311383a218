// What a failed deploy's summary says: which task failed, and which build to roll back to.
import type { DeployDetailView, DeployView, TaskView } from "../../../ipc";

const FAILED = new Set(["failed", "timed_out"]);

/** The first task that failed or ran out of time, in the order the steps ran. */
export function failingTask(detail: DeployDetailView | undefined): TaskView | undefined {
  return detail?.steps.flatMap((s) => s.tasks).find((t) => FAILED.has(t.status));
}

/** Whether a deploy succeeded with failures: a failed task, or a service not ready. */
function withFailures(deploy: DeployView): boolean {
  return (
    deploy.outcome?.outcome === "succeeded" &&
    (deploy.outcome.failed_tasks > 0 || deploy.outcome.unready.length > 0)
  );
}

/** The build the last clean setup or patch before `failed` ran (no failed task, every service
 *  ready), when it is another build than the failed deploy's: what "Roll back" deploys. None
 *  for a custom workflow, a cron run, a pause or a resume, which run the images the environment
 *  runs and build nothing. */
export function lastGoodBuild(deploys: DeployView[], failed: DeployView): number | null {
  if (["workflow", "cron", "pause", "resume"].includes(failed.stage)) return null;
  const good = deploys
    .filter(
      (d) =>
        d.id < failed.id &&
        d.status === "succeeded" &&
        !withFailures(d) &&
        (d.stage === "setup" || d.stage === "patch") &&
        d.buildId !== null,
    )
    .at(-1);
  return good && good.buildId !== failed.buildId ? good.buildId : null;
}

/** Whether a lane opens with a failure summary: it failed, or succeeded with failures. */
export function summarised(deploy: DeployView): boolean {
  return deploy.status === "failed" || (deploy.status === "succeeded" && withFailures(deploy));
}

// What a failed deploy's summary says: which task failed, and which build to roll back to.
import type { DeployDetailView, DeployView, TaskView } from "../../../ipc";

const FAILED = new Set(["failed", "timed_out"]);

/** The first task that failed or ran out of time, in the order the steps ran. */
export function failingTask(detail: DeployDetailView | undefined): TaskView | undefined {
  return detail?.steps.flatMap((s) => s.tasks).find((t) => FAILED.has(t.status));
}

/** The build the last successful setup or patch before `failed` ran, when it is another build
 *  than the failed deploy's: what "Roll back" deploys. */
export function lastGoodBuild(deploys: DeployView[], failed: DeployView): number | null {
  const good = deploys
    .filter(
      (d) =>
        d.id < failed.id &&
        d.status === "succeeded" &&
        (d.stage === "setup" || d.stage === "patch") &&
        d.buildId !== null,
    )
    .at(-1);
  return good && good.buildId !== failed.buildId ? good.buildId : null;
}

/** Whether a lane opens with a failure summary: it failed, or succeeded with failed tasks. */
export function summarised(deploy: DeployView): boolean {
  if (deploy.status === "failed") return true;
  return (
    deploy.status === "succeeded" &&
    deploy.outcome?.outcome === "succeeded" &&
    deploy.outcome.failed_tasks > 0
  );
}

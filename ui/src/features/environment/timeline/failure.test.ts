import { describe, expect, it } from "vitest";
import type { DeployView } from "../../../ipc";
import { detail, setup } from "../fakeApi";
import { failingTask, lastGoodBuild, summarised } from "./failure";

const deploy = (id: number, status: DeployView["status"], buildId: number | null): DeployView => ({
  ...setup,
  id,
  stage: "patch",
  status,
  buildId,
});

describe("a failed deploy's summary", () => {
  it("names the first task that failed", () => {
    expect(failingTask(detail)?.task).toBe("jobs.migrate");
    expect(failingTask(undefined)).toBeUndefined();
  });

  it("rolls back to the last build that deployed, not to the failed one's", () => {
    const failed = deploy(4, "failed", 3);
    const deploys = [deploy(1, "succeeded", 1), deploy(2, "succeeded", 2), deploy(3, "failed", 3)];
    expect(lastGoodBuild([...deploys, failed], failed)).toBe(2);
    // The last good deploy ran the failed one's build: a rollback would change nothing.
    expect(lastGoodBuild([deploy(1, "succeeded", 3), failed], failed)).toBeNull();
    expect(lastGoodBuild([failed], failed)).toBeNull();
    // A deploy that left a service not ready is no good build to go back to.
    const degraded: DeployView = {
      ...deploy(3, "succeeded", 2),
      outcome: { outcome: "succeeded", failed_tasks: 0, unready: ["web: 0 of 1 ready"] },
    };
    expect(lastGoodBuild([deploy(1, "succeeded", 1), degraded, failed], failed)).toBe(1);
  });

  it("offers no rollback for a failed custom workflow: it built nothing", () => {
    const failed: DeployView = {
      ...deploy(4, "failed", 3),
      stage: "workflow",
      target: "reindex",
    };
    expect(lastGoodBuild([deploy(1, "succeeded", 2), failed], failed)).toBeNull();
  });

  it("offers no rollback for a failed cron run: it built nothing", () => {
    const failed: DeployView = { ...deploy(4, "failed", 3), stage: "cron", target: "tick" };
    expect(lastGoodBuild([deploy(1, "succeeded", 2), failed], failed)).toBeNull();
  });

  it("offers no rollback for a failed pause or resume: they deploy nothing", () => {
    for (const stage of ["pause", "resume"] as const) {
      const failed: DeployView = { ...deploy(4, "failed", null), stage };
      expect(lastGoodBuild([deploy(1, "succeeded", 2), failed], failed)).toBeNull();
    }
  });

  it("opens on failures and on successes with failed tasks", () => {
    expect(summarised(deploy(1, "failed", null))).toBe(true);
    expect(summarised(deploy(1, "succeeded", null))).toBe(false);
    expect(
      summarised({
        ...deploy(1, "succeeded", null),
        outcome: { outcome: "succeeded", failed_tasks: 1, unready: [] },
      }),
    ).toBe(true);
    expect(
      summarised({
        ...deploy(1, "succeeded", null),
        outcome: { outcome: "succeeded", failed_tasks: 0, unready: ["web: 0 of 1 ready"] },
      }),
    ).toBe(true);
  });
});

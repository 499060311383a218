import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DeployView, EnvironmentsApi } from "../../../ipc";
import EnvironmentScreen from "../EnvironmentScreen.svelte";
import { cronRun, detail, fakeApi, setup } from "../fakeApi";

beforeEach(() => sessionStorage.clear());

/** A cron run that ended, `minutes` after the setup. */
const ran = (id: number, name: string, status: DeployView["status"], minutes: number) =>
  cronRun(name, {
    id,
    reason: `cron job \`${name}\` (* * * * *): due at 2026-11-26T06:${String(minutes).padStart(2, "0")}:00Z`,
    status,
    queuedAt: `2026-11-26T06:${String(minutes).padStart(2, "0")}:00.000Z`,
    startedAt: `2026-11-26T06:${String(minutes).padStart(2, "0")}:00.000Z`,
    finishedAt: `2026-11-26T06:${String(minutes).padStart(2, "0")}:02.000Z`,
    outcome:
      status === "failed"
        ? { outcome: "failed", reason: `jobs.${name} failed` }
        : { outcome: "succeeded", failed_tasks: 0, unready: [] },
  });

const patch: DeployView = {
  ...setup,
  id: 3,
  stage: "patch",
  reason: "patch: the configuration is unchanged since the last setup",
  queuedAt: "2026-11-26T06:02:30.000Z",
  startedAt: "2026-11-26T06:02:30.000Z",
  finishedAt: "2026-11-26T06:02:40.000Z",
};

/** The setup, two runs of `tick` about a patch, and a failed run of `report`, oldest first. */
const timeline: DeployView[] = [
  setup,
  ran(2, "tick", "succeeded", 1),
  patch,
  ran(4, "tick", "succeeded", 3),
  ran(5, "report", "failed", 4),
];

function open(overrides: Partial<EnvironmentsApi> = {}) {
  render(EnvironmentScreen, {
    api: fakeApi({ timeline: () => Promise.resolve(timeline), ...overrides }),
    envId: "ted1bc4",
    back: () => {},
  });
}

const ids = (lanes: HTMLElement[]) => lanes.map((l) => Number(l.dataset.deployId));
const lanesOf = (testid: string) =>
  within(screen.getByTestId(testid)).queryAllByTestId("deploy-lane");

describe("the timeline's cron runs", () => {
  it("sit in a group of their own, closed, with their count and the last run's status", async () => {
    open();
    const group = await screen.findByTestId("cron-runs");
    const toggle = within(group).getByTestId("cron-runs-toggle");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.textContent).toContain("Cron runs");
    expect(within(group).getByTestId("cron-runs-count").textContent).toBe("3 runs");
    expect(within(toggle).getByRole("status").textContent).toBe("Failed");
    expect(toggle.textContent).toContain("last: report");
    expect(within(group).queryAllByTestId("deploy-lane")).toEqual([]);

    // The main list has the other deploys only, newest first, the newest of them open.
    await waitFor(() => expect(ids(lanesOf("deploy-lanes"))).toEqual([3, 1]));
    const newest = lanesOf("deploy-lanes")[0] as HTMLElement;
    expect(within(newest).getAllByRole("button")[0]?.getAttribute("aria-expanded")).toBe("true");
  });

  it("opens to the runs, newest first, and closes again", async () => {
    open();
    const toggle = await screen.findByTestId("cron-runs-toggle");
    await fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(ids(lanesOf("cron-run-lanes"))).toEqual([5, 4, 2]);
    expect(lanesOf("cron-run-lanes").every((l) => l.dataset.stage === "cron")).toBe(true);

    await fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(screen.queryByTestId("cron-run-lanes")).toBeNull();
  });

  it("is absent without cron runs", async () => {
    open({ timeline: () => Promise.resolve([setup, patch]) });
    await waitFor(() => expect(ids(lanesOf("deploy-lanes"))).toEqual([3, 1]));
    expect(screen.queryByTestId("cron-runs")).toBeNull();
  });

  it("labels a cron run's lane with the job's name", async () => {
    open();
    await fireEvent.click(await screen.findByTestId("cron-runs-toggle"));
    const stages = within(screen.getByTestId("cron-run-lanes")).getAllByTestId("lane-stage");
    expect(stages.map((s) => s.textContent)).toEqual(["report", "tick", "tick"]);
    expect(stages[1]?.title).toBe("Cron job tick");
    expect(stages[1]?.classList.contains("cron")).toBe(true);
    expect(stages[1]?.classList.contains("workflow")).toBe(false);
  });

  it("offers to run a failed cron job again, not to deploy or roll back", async () => {
    const failed = timeline[4] as DeployView;
    const runCronJob = vi.fn<EnvironmentsApi["runCronJob"]>((_envId, name) =>
      Promise.resolve(cronRun(name, { id: 6 })),
    );
    open({
      runCronJob,
      deployDetail: (id) => Promise.resolve(id === 5 ? { deploy: failed, steps: [] } : detail),
    });
    await fireEvent.click(await screen.findByTestId("cron-runs-toggle"));
    const lane = lanesOf("cron-run-lanes")[0] as HTMLElement;
    await fireEvent.click(within(lane).getAllByRole("button")[0] as HTMLElement);

    const summary = await within(lane).findByTestId("failure-summary");
    expect(within(summary).getByRole("heading").textContent?.trim()).toBe(
      "The cron job report failed",
    );
    expect(within(summary).getByTestId("failure-reason").textContent).toBe("jobs.report failed");
    expect(within(summary).queryByTestId("failure-deploy")).toBeNull();
    expect(within(summary).queryByTestId("failure-rollback")).toBeNull();
    expect(within(summary).queryByTestId("failure-run-workflow")).toBeNull();
    const again = within(summary).getByTestId("failure-run-cron");
    expect(again.textContent).toBe("Run report again");
    await fireEvent.click(again);
    await waitFor(() => expect(runCronJob).toHaveBeenCalledWith("ted1bc4", "report"));
  });
});

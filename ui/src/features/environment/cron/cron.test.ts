import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type {
  ChangeMessage,
  CronJobView,
  DeployView,
  EnvironmentsApi,
  EnvironmentView,
} from "../../../ipc";
import { EnvironmentModel } from "../environment.svelte";
import EnvironmentScreen from "../EnvironmentScreen.svelte";
import { cronJobs, cronRun, detail, env, fakeApi, setup } from "../fakeApi";

beforeEach(() => sessionStorage.clear());

const MINUTE = 60_000;
/** A time `minutes` from now (in the past when negative). */
const fromNow = (minutes: number) => new Date(Date.now() + minutes * MINUTE).toISOString();

/** The fake's cron jobs, their times put around the clock of the test. */
function jobsNow(): CronJobView[] {
  const [tick, report] = cronJobs as [CronJobView, CronJobView];
  const last = tick.lastRun as DeployView;
  return [
    {
      ...tick,
      nextRun: fromNow(12.5),
      lastRun: { ...last, queuedAt: fromNow(-3.5), startedAt: fromNow(-3.5) },
    },
    report,
  ];
}

function open(overrides: Partial<EnvironmentsApi> = {}) {
  render(EnvironmentScreen, {
    api: fakeApi({ cronJobs: () => Promise.resolve(jobsNow()), ...overrides }),
    envId: "ted1bc4",
    back: () => {},
  });
}

/** The row of the cron job `name`, once shown. */
async function row(name: string): Promise<HTMLElement> {
  return waitFor(() => {
    const found = screen.getAllByTestId("cron-job").find((r) => r.dataset.cron === name);
    if (!found) throw new Error(`no row for ${name} yet`);
    return found;
  });
}

/** The timeline's lane of the deploy `id`, once shown. */
async function lane(id: number): Promise<HTMLElement> {
  return waitFor(() => {
    const found = screen
      .getAllByTestId("deploy-lane")
      .find((l) => l.dataset.deployId === String(id));
    if (!found) throw new Error(`no lane for deploy ${id} yet`);
    return found;
  });
}

const runNow = (r: HTMLElement) => within(r).getByTestId("cron-run-now") as HTMLButtonElement;

describe("the Cron jobs panel", () => {
  it("is absent when the configuration has no cron job", async () => {
    const read = vi.fn<EnvironmentsApi["cronJobs"]>(() => Promise.resolve([]));
    open({ cronJobs: read });
    await waitFor(() => expect(screen.getByTestId("deploy").textContent).toBe("Deploy (patch)"));
    expect(read).toHaveBeenCalledWith("ted1bc4");
    expect(screen.getByTestId("services")).toBeTruthy();
    expect(screen.queryByTestId("cron-jobs")).toBeNull();
  });

  it("lists each job's name, schedule, next run and last run, beside the services", async () => {
    open();
    const tick = await row("tick");
    const panel = screen.getByTestId("cron-jobs");
    expect(panel.parentElement).toBe(screen.getByTestId("services").parentElement);
    expect(screen.getAllByTestId("cron-job").map((r) => r.dataset.cron)).toEqual([
      "tick",
      "nightly-report",
    ]);

    expect(within(tick).getByTestId("cron-name").textContent).toBe("tick");
    const schedule = within(tick).getByTestId("cron-schedule");
    expect(schedule.textContent).toBe("*/5 * * * *");
    expect(schedule.classList.contains("mono")).toBe(true);
    expect(within(tick).getByTestId("cron-next").textContent?.trim()).toBe("in 12 min");
    const last = within(tick).getByTestId("cron-last-run");
    expect(within(last).getByRole("status").textContent).toBe("Failed");
    expect(last.textContent).toContain("3 min ago");
    expect(last.dataset.deployId).toBe("2");

    const report = await row("nightly-report");
    expect(within(report).getByTestId("cron-schedule").textContent).toBe("0 3 * * *");
    expect(within(report).getByTestId("cron-next").textContent?.trim()).toBe("—");
    expect(within(report).getByTestId("cron-last").textContent?.trim()).toBe("Never run");
    expect(within(report).queryByTestId("cron-last-run")).toBeNull();
    expect(runNow(report).disabled).toBe(false);
    expect(runNow(report).dataset.cron).toBe("nightly-report");
  });

  it("runs a job now, and the timeline opens on its run", async () => {
    let runs: DeployView[] = [];
    const runCronJob = vi.fn<EnvironmentsApi["runCronJob"]>((_envId, name) => {
      runs = [cronRun(name)];
      return Promise.resolve(cronRun(name));
    });
    open({
      runCronJob,
      timeline: () => Promise.resolve([setup, ...runs]),
      deployDetail: (id) =>
        Promise.resolve(id === 7 ? { deploy: cronRun("tick"), steps: [] } : detail),
    });
    await fireEvent.click(runNow(await row("tick")));

    await waitFor(() => expect(runCronJob).toHaveBeenCalledWith("ted1bc4", "tick"));
    const run = await lane(7);
    expect(run.dataset.stage).toBe("cron");
    expect(within(run).getByRole("button").getAttribute("aria-expanded")).toBe("true");
    expect(screen.getByTestId("cron-runs-toggle").getAttribute("aria-expanded")).toBe("true");
    expect(screen.queryByTestId("action-error")).toBeNull();
  });

  it("shows why a run was refused", async () => {
    const runCronJob = vi.fn<EnvironmentsApi["runCronJob"]>(() =>
      Promise.reject({ code: "invalid_request", message: "ted1bc4 has no cron job `tock`" }),
    );
    open({ runCronJob });
    const report = runNow(await row("nightly-report"));
    await fireEvent.click(report);

    await waitFor(() => expect(runCronJob).toHaveBeenCalledWith("ted1bc4", "nightly-report"));
    expect((await screen.findByTestId("action-error")).textContent).toBe(
      "ted1bc4 has no cron job `tock`",
    );
    // Answered: it may be clicked again.
    await waitFor(() => expect(report.disabled).toBe(false));
    expect(report.textContent).toBe("Run now");
  });

  it("disables Run now, saying why, while the environment takes no deploy", async () => {
    open({ environment: () => Promise.resolve({ ...env, status: "teardownFailed" }) });
    const tick = await row("tick");
    await waitFor(() =>
      expect(screen.getByTestId("environment-status").dataset.status).toBe("teardownFailed"),
    );
    const buttons = screen.getAllByTestId("cron-run-now") as HTMLButtonElement[];
    expect(buttons.length).toBe(2);
    expect(buttons.every((b) => b.disabled)).toBe(true);
    expect(runNow(tick).title).toBe(
      "Its last teardown left objects behind: only another teardown runs",
    );
  });

  it("opens a job's last run on the timeline, in its group", async () => {
    const last = jobsNow()[0]?.lastRun as DeployView;
    const deployDetail = vi.fn<EnvironmentsApi["deployDetail"]>((id) =>
      Promise.resolve(id === 2 ? { deploy: last, steps: [] } : detail),
    );
    open({ timeline: () => Promise.resolve([setup, last]), deployDetail });
    const tick = await row("tick");
    expect(screen.getByTestId("cron-runs-toggle").getAttribute("aria-expanded")).toBe("false");

    await fireEvent.click(within(tick).getByTestId("cron-last-run"));
    const run = await lane(2);
    expect(within(run).getAllByRole("button")[0]?.getAttribute("aria-expanded")).toBe("true");
    await waitFor(() => expect(deployDetail).toHaveBeenCalledWith(2));
    expect(screen.getByTestId("cron-runs-toggle").getAttribute("aria-expanded")).toBe("true");
  });

  it("is not offered, nor read, on a torn-down environment", async () => {
    const read = vi.fn<EnvironmentsApi["cronJobs"]>(() => Promise.resolve(jobsNow()));
    open({ cronJobs: read, environment: () => Promise.resolve({ ...env, status: "tornDown" }) });
    await waitFor(() =>
      expect(screen.getByTestId("environment-status").dataset.status).toBe("tornDown"),
    );
    expect(screen.queryByTestId("cron-jobs")).toBeNull();
    expect(read).not.toHaveBeenCalled();
  });
});

describe("reading the cron jobs", () => {
  it("reads them once for a version and a timeline, keeps them through a failed read, and tries again", async () => {
    let version = "v1.1";
    let deploys: DeployView[] = [setup];
    let fails = false;
    const read = vi.fn<EnvironmentsApi["cronJobs"]>(() =>
      fails ? Promise.reject({ code: "internal", message: "no" }) : Promise.resolve(cronJobs),
    );
    const model = new EnvironmentModel(
      fakeApi({
        cronJobs: read,
        environment: () => Promise.resolve<EnvironmentView>({ ...env, version }),
        timeline: () => Promise.resolve(deploys),
      }),
      "ted1bc4",
      sessionStorage,
    );
    await Promise.all([model.load(), model.load()]);
    await model.load();
    expect(read).toHaveBeenCalledTimes(1);
    expect(model.cronJobs).toEqual(cronJobs);

    // A run of a job came: its last run moved.
    deploys = [setup, cronRun("tick", { id: 2, status: "succeeded" })];
    fails = true;
    await model.load();
    expect(read).toHaveBeenCalledTimes(2);
    // Unread, what was read before stays; the screen itself read well.
    expect(model.cronJobs).toEqual(cronJobs);
    expect(model.error).toBeUndefined();

    fails = false;
    await model.load();
    expect(read).toHaveBeenCalledTimes(3);
    await model.load();
    expect(read).toHaveBeenCalledTimes(3);

    version = "v1.2";
    await model.load();
    expect(read).toHaveBeenCalledTimes(4);
  });

  it("reads them again when the change feed says a deploy of the environment ended", async () => {
    let change: (m: ChangeMessage) => void = () => {};
    let deploys: DeployView[] = [setup];
    const read = vi.fn<EnvironmentsApi["cronJobs"]>(() => Promise.resolve(cronJobs));
    const model = new EnvironmentModel(
      fakeApi({
        cronJobs: read,
        timeline: () => Promise.resolve(deploys),
        followChanges: (onMessage) => {
          change = onMessage;
          return Promise.resolve(() => {});
        },
      }),
      "ted1bc4",
      sessionStorage,
    );
    model.open();
    try {
      await vi.waitFor(() => expect(model.cronJobs).toEqual(cronJobs));
      expect(read).toHaveBeenCalledTimes(1);

      deploys = [setup, cronRun("tick", { id: 2, status: "succeeded" })];
      change({
        kind: "change",
        change: {
          kind: "deployEnded",
          envId: "ted1bc4",
          deployId: 2,
          stage: "cron",
          status: "succeeded",
        },
      });
      await vi.waitFor(() => expect(read).toHaveBeenCalledTimes(2));
    } finally {
      model.close();
    }
  });
});

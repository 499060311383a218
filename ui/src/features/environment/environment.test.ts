import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  Change,
  ChangeMessage,
  DeployDetailView,
  DeployView,
  EnvironmentsApi,
  FollowMessage,
} from "../../ipc";
import { EnvironmentModel, reloads } from "./environment.svelte";
import { detail, env, fakeApi, setup } from "./fakeApi";

const running: DeployView = { ...setup, status: "running", buildId: null, finishedAt: null };
const runningDetail: DeployDetailView = {
  deploy: running,
  steps: detail.steps.map((s) => ({
    ...s,
    finishedAt: null,
    outcome: null,
    tasks: s.tasks.map((t) => ({ ...t, status: "running", finishedAt: null, detail: null })),
  })),
};

/** An api whose change feed and deploy stream the test drives, counting each read. */
function driven(overrides: Partial<EnvironmentsApi> = {}) {
  let change: (m: ChangeMessage) => void = () => {};
  let send: (m: FollowMessage) => void = () => {};
  const stopped: string[] = [];
  const api = fakeApi({
    timeline: vi.fn(() => Promise.resolve([running])),
    deployDetail: vi.fn(() => Promise.resolve(runningDetail)),
    followChanges: vi.fn((onMessage: (m: ChangeMessage) => void) => {
      change = onMessage;
      return Promise.resolve(() => stopped.push("changes"));
    }),
    followDeploy: vi.fn((_id: number, _after: number, onMessage: (m: FollowMessage) => void) => {
      send = onMessage;
      return Promise.resolve(() => stopped.push("deploy"));
    }),
    ...overrides,
  });
  return {
    api,
    stopped,
    change: (c: Change) => change({ kind: "change", change: c }),
    resync: () => change({ kind: "resync" }),
    send: (m: FollowMessage) => send(m),
    reads: () => vi.mocked(api.timeline).mock.calls.length,
  };
}

/** Lets the pending promises (a load, a stream's start) settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

let model: EnvironmentModel | undefined;

async function opened(api: EnvironmentsApi): Promise<EnvironmentModel> {
  model = new EnvironmentModel(api, "ted1bc4");
  model.open();
  await vi.waitFor(() => expect(model?.env).toBeDefined());
  await settle();
  return model;
}

describe("the environment screen's state", () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => {
    model?.close();
    model = undefined;
  });

  it("loads the environment, what Deploy runs, the timeline opened on its newest deploy", async () => {
    const api = fakeApi({ logResources: vi.fn(() => Promise.resolve([])) });
    const m = await opened(api);

    expect(m.env).toEqual(env);
    expect(m.next?.stage).toBe("patch");
    expect(m.deploys).toEqual([setup]);
    expect(m.expanded).toBe(1);
    expect(m.detail).toEqual(detail);
    expect(m.gone).toBe(false);
    expect(m.active).toBe(false);
    expect(m.canDeploy).toBe(true);
    expect(m.error).toBeUndefined();
    // The logs are read on the Logs tab only.
    expect(api.logResources).not.toHaveBeenCalled();
    m.selectTab("logs");
    await vi.waitFor(() => expect(api.logResources).toHaveBeenCalledWith("ted1bc4"));
  });

  it("shows a screen that cannot be read as its error", async () => {
    const m = new EnvironmentModel(
      fakeApi({ environment: () => Promise.reject({ code: "NOT_FOUND", message: "no ted1bc4" }) }),
      "ted1bc4",
    );
    model = m;
    m.open();
    await vi.waitFor(() => expect(m.error).toEqual({ code: "NOT_FOUND", message: "no ted1bc4" }));
  });

  it("reads again on the changes the events do not carry, not on the followed deploy's progress", async () => {
    const d = driven();
    await opened(d.api);
    expect(d.api.followDeploy).toHaveBeenCalledWith(1, 0, expect.any(Function));
    const first = d.reads();

    d.change({ kind: "deployProgressed", envId: "ted1bc4", deployId: 1 });
    d.change({ kind: "deployQueued", envId: "other", deployId: 9, stage: "setup" });
    await settle();
    expect(d.reads()).toBe(first);

    const told: Change[] = [
      { kind: "deployQueued", envId: "ted1bc4", deployId: 2, stage: "patch" },
      { kind: "deployStarted", envId: "ted1bc4", deployId: 2 },
      { kind: "deployEnded", envId: "ted1bc4", deployId: 1, stage: "setup", status: "succeeded" },
      { kind: "environmentChanged", envId: "ted1bc4", status: "deployed" },
      { kind: "noticeRaised", envId: "ted1bc4", notice: "expiry_warning", message: "soon" },
      // A deploy whose events are not followed (an older one still running).
      { kind: "deployProgressed", envId: "ted1bc4", deployId: 0 },
    ];
    for (const [i, change] of told.entries()) {
      d.change(change);
      await vi.waitFor(() => expect(d.reads()).toBe(first + i + 1));
    }
    d.resync();
    await vi.waitFor(() => expect(d.reads()).toBe(first + told.length + 1));
  });

  it("decides which changes are read again", () => {
    const progressed: Change = { kind: "deployProgressed", envId: "ted1bc4", deployId: 4 };
    expect(reloads(progressed, "ted1bc4", 4)).toBe(false);
    expect(reloads(progressed, "ted1bc4", 3)).toBe(true);
    expect(reloads(progressed, "ted1bc4", undefined)).toBe(true);
    expect(reloads(progressed, "other", undefined)).toBe(false);
    expect(reloads({ kind: "deployStarted", envId: "ted1bc4", deployId: 4 }, "ted1bc4", 4)).toBe(
      true,
    );
  });

  it("applies the followed deploy's events to the open deploy, without reading it", async () => {
    const d = driven();
    const m = await opened(d.api);
    const details = vi.mocked(d.api.deployDetail).mock.calls.length;

    d.send({
      kind: "event",
      seq: 1,
      at: "2026-11-26T06:00:05.000Z",
      event: {
        type: "task_finished",
        step: 0,
        task: "jobs.migrate",
        outcome: { outcome: "failed", error: "exited with code 3", halts: false },
      },
      line: "    jobs.migrate: failed: exited with code 3",
    });
    d.send({
      kind: "event",
      seq: 2,
      at: "2026-11-26T06:00:05.000Z",
      event: { type: "step_finished", step: 0, outcome: "succeeded_with_failures" },
      line: null,
    });
    d.send({
      kind: "event",
      seq: 3,
      at: "2026-11-26T06:00:06.000Z",
      event: {
        type: "stage_finished",
        stage: "setup",
        outcome: { outcome: "succeeded", failed_tasks: 1, unready: [] },
      },
      line: "setup: succeeded with 1 failed task",
    });

    expect(m.detail?.steps[0]?.tasks[0]).toMatchObject({
      status: "failed",
      detail: "exited with code 3",
      finishedAt: "2026-11-26T06:00:05.000Z",
    });
    expect(m.detail?.steps[0]?.outcome).toBe("succeeded_with_failures");
    expect(m.deploys[0]).toMatchObject({
      status: "succeeded",
      finishedAt: "2026-11-26T06:00:06.000Z",
    });
    expect(m.active).toBe(false);
    expect(m.feed?.lines).toEqual([
      "    jobs.migrate: failed: exited with code 3",
      "setup: succeeded with 1 failed task",
    ]);
    expect(vi.mocked(d.api.deployDetail).mock.calls.length).toBe(details);

    // Its stream has ended: its progress, if any is told, is read again.
    d.send({ kind: "end" });
    d.change({ kind: "deployProgressed", envId: "ted1bc4", deployId: 1 });
    await vi.waitFor(() =>
      expect(vi.mocked(d.api.deployDetail).mock.calls.length).toBe(details + 1),
    );
  });

  it("gives a load the events that arrived while it read", async () => {
    let answer: (detail: DeployDetailView) => void = () => {};
    const d = driven();
    const m = await opened(d.api);
    vi.mocked(d.api.deployDetail).mockImplementation(
      () => new Promise<DeployDetailView>((resolve) => (answer = resolve)),
    );

    d.change({ kind: "environmentChanged", envId: "ted1bc4", status: "settingUp" });
    await vi.waitFor(() => expect(d.api.deployDetail).toHaveBeenCalledTimes(2));
    d.send({
      kind: "event",
      seq: 1,
      at: "2026-11-26T06:00:03.000Z",
      event: { type: "task_waiting", step: 0, task: "jobs.migrate", reason: "pulling its image" },
      line: "    jobs.migrate: pulling its image",
    });
    // The read answers with what was stored before the event.
    answer(runningDetail);
    await settle();

    expect(m.detail?.steps[0]?.tasks[0]).toMatchObject({
      status: "waiting",
      waitReason: "pulling its image",
    });
  });

  it("reads the deploy's build once, when it starts building", async () => {
    const d = driven();
    await opened(d.api);
    const first = d.reads();
    const build = (seq: number): FollowMessage => ({
      kind: "event",
      seq,
      at: "2026-11-26T06:00:01.000Z",
      event: { type: "service_build_started", service: `web${seq}` },
      line: `  build web${seq}`,
    });

    d.send(build(1));
    d.send(build(2));
    await vi.waitFor(() => expect(d.reads()).toBe(first + 1));
    await settle();
    expect(d.reads()).toBe(first + 1);
  });

  it("shows an action's failure, and clears it when one succeeds", async () => {
    const d = driven({
      teardown: () => Promise.reject({ code: "CONFLICT", message: "a deploy is running" }),
      extend: vi.fn(() => Promise.resolve(env)),
    });
    const m = await opened(d.api);
    const first = d.reads();

    await m.teardown();
    expect(m.actionError).toEqual({ code: "CONFLICT", message: "a deploy is running" });
    expect(d.reads()).toBe(first);

    await m.extend();
    expect(m.actionError).toBeUndefined();
    expect(d.api.extend).toHaveBeenCalledWith("ted1bc4", null);
    expect(d.reads()).toBe(first + 1);
  });

  it("opens a deploy it starts, and says it is starting until the app answers", async () => {
    let answer: (deploy: DeployView) => void = () => {};
    const d = driven({
      deploy: vi.fn(() => new Promise<DeployView>((resolve) => (answer = resolve))),
    });
    const m = await opened(d.api);

    const deploying = m.deploy();
    expect(m.starting).toBe(true);
    expect(m.canDeploy).toBe(false);
    answer({ ...setup, id: 2, stage: "patch", status: "queued" });
    await deploying;

    expect(m.starting).toBe(false);
    expect(m.expanded).toBe(2);
    expect(d.api.deployDetail).toHaveBeenLastCalledWith(2);
  });

  it("stops its streams when closed, and reads nothing after", async () => {
    const d = driven();
    const m = await opened(d.api);
    const first = d.reads();

    m.close();
    d.change({
      kind: "deployEnded",
      envId: "ted1bc4",
      deployId: 1,
      stage: "setup",
      status: "failed",
    });
    await settle();

    expect(d.stopped).toEqual(["changes", "deploy"]);
    expect(d.reads()).toBe(first);
  });
});

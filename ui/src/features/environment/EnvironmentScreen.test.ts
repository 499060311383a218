import { EditorView } from "@codemirror/view";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { tick } from "svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type {
  BuildView,
  ChangeMessage,
  ConfigVersionView,
  DeployDetailView,
  DeployView,
  EnvironmentsApi,
  FollowMessage,
  LogPageView,
} from "../../ipc";
import EnvironmentScreen from "./EnvironmentScreen.svelte";
import { builds, comparison, detail, env, fakeApi, setup } from "./fakeApi";

describe("EnvironmentScreen", () => {
  // What a test leaves in the window's session storage (an open log) is not the next one's.
  beforeEach(() => sessionStorage.clear());

  it("says what Deploy will run and why, and shows the timeline opened on the last deploy", async () => {
    render(EnvironmentScreen, { api: fakeApi(), envId: "ted1bc4", back: () => {} });

    const button = await screen.findByTestId("deploy");
    await waitFor(() => expect(button.textContent).toBe("Deploy (patch)"));
    expect(screen.getByTestId("deploy-reason").textContent).toContain(
      "the configuration is unchanged since the last setup",
    );
    const task = await screen.findByTestId("task");
    expect(task.dataset.status).toBe("failed");
    expect(screen.getByTestId("task-detail").textContent).toBe("exited with code 3");
  });

  it("says what to do about a task its runtime failed, by the failure's code", async () => {
    const unreachable: DeployDetailView = {
      ...detail,
      steps: detail.steps.map((s) => ({
        ...s,
        tasks: s.tasks.map((t) => ({
          ...t,
          detail: "no Docker engine answered at unix:///var/run/docker.sock",
          errorCode: "DOCKER_UNREACHABLE" as const,
        })),
      })),
    };
    render(EnvironmentScreen, {
      api: fakeApi({ deployDetail: () => Promise.resolve(unreachable) }),
      envId: "ted1bc4",
      back: () => {},
    });

    expect((await screen.findByTestId("task-advice")).textContent).toMatch(
      /Docker did not answer: start it/,
    );
  });

  it("gives no advice when the failure's message is all there is", async () => {
    render(EnvironmentScreen, { api: fakeApi(), envId: "ted1bc4", back: () => {} });

    await screen.findByTestId("task-detail");
    expect(screen.queryByTestId("task-advice")).toBeNull();
  });

  it("shows a task being tried again: its attempt and why the last one failed", async () => {
    const retrying: DeployDetailView = {
      ...detail,
      deploy: { ...setup, status: "running", finishedAt: null },
      steps: detail.steps.map((s) => ({
        ...s,
        finishedAt: null,
        outcome: null,
        tasks: s.tasks.map((t) => ({
          ...t,
          status: "retrying",
          finishedAt: null,
          detail: null,
          attempts: 2,
          waitReason:
            "attempt 2 of 3 failed: the engine closed the connection; trying again in 2 s",
        })),
      })),
    };
    render(EnvironmentScreen, {
      api: fakeApi({ deployDetail: () => Promise.resolve(retrying) }),
      envId: "ted1bc4",
      back: () => {},
    });

    expect((await screen.findByTestId("task-attempts")).textContent).toBe("attempt 2");
    expect(
      screen.getByText(
        "attempt 2 of 3 failed: the engine closed the connection; trying again in 2 s",
      ),
    ).toBeTruthy();
  });

  it("streams the newest deploy's progress, draws its steps from its events, and reads the timeline again when a change says more", async () => {
    sessionStorage.clear();
    let send: (m: FollowMessage) => void = () => {};
    let change: (m: ChangeMessage) => void = () => {};
    const followChanges = vi.fn((onMessage: (m: ChangeMessage) => void) => {
      change = onMessage;
      return Promise.resolve(() => {});
    });
    const followDeploy = vi.fn(
      (_id: number, _after: number, onMessage: (m: FollowMessage) => void) => {
        send = onMessage;
        return Promise.resolve(() => {});
      },
    );
    const deployDetail = vi.fn(() => Promise.resolve(detail));
    render(EnvironmentScreen, {
      api: fakeApi({ followDeploy, deployDetail, followChanges }),
      envId: "ted1bc4",
      back: () => {},
    });
    await waitFor(() => expect(followDeploy).toHaveBeenCalledWith(1, 0, expect.any(Function)));
    const before = deployDetail.mock.calls.length;

    send({
      kind: "event",
      seq: 1,
      at: "2026-11-26T06:00:00.000Z",
      event: { type: "stage_started", stage: "setup", reason: "first setup" },
      line: "setup: first setup",
    });
    send({
      kind: "event",
      seq: 2,
      at: "2026-11-26T06:00:00.100Z",
      event: {
        type: "task_waiting",
        step: 0,
        task: "services.web",
        reason: "waiting for readiness",
      },
      line: "    services.web: waiting for readiness",
    });
    send({
      kind: "event",
      seq: 3,
      at: "2026-11-26T06:00:01.000Z",
      event: {
        type: "step_started",
        step: 1,
        name: "apps",
        tasks: ["services.web", "services.api"],
        wait_for_finish: true,
      },
      line: "  step apps",
    });
    send({
      kind: "event",
      seq: 4,
      at: "2026-11-26T06:00:01.000Z",
      event: { type: "task_started", step: 1, task: "services.web" },
      line: null,
    });

    await waitFor(() =>
      expect(screen.getByTestId("deploy-feed").textContent).toBe(
        "setup: first setup\n    services.web: waiting for readiness\n  step apps",
      ),
    );
    // The events draw the new step and its tasks, in the order the store keeps them.
    await waitFor(() =>
      expect(screen.getAllByTestId("task").map((t) => [t.dataset.task, t.dataset.status])).toEqual([
        ["jobs.migrate", "failed"],
        ["services.api", "pending"],
        ["services.web", "running"],
      ]),
    );
    // Events alone draw the progress; the change feed says when the timeline moved on in a way
    // they do not tell (a deploy queued, started or ended, the environment's status).
    expect(deployDetail.mock.calls.length).toBe(before);
    change({ kind: "change", change: { kind: "deployProgressed", envId: "other", deployId: 9 } });
    change({ kind: "change", change: { kind: "deployProgressed", envId: "ted1bc4", deployId: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(deployDetail.mock.calls.length).toBe(before);
    change({
      kind: "change",
      change: {
        kind: "deployEnded",
        envId: "ted1bc4",
        deployId: 1,
        stage: "setup",
        status: "succeeded",
      },
    });
    await waitFor(() => expect(deployDetail.mock.calls.length).toBe(before + 1));
  });

  it("starts a deploy without waiting for it, and shows a task's log", async () => {
    const deploy = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 2, stage: "patch", status: "queued" }),
    );
    // The stream sends the kept lines, then two pages that arrive together: one draw.
    const followLog = vi.fn(
      (_resource: string, _afterSeq: number, onPage: (page: LogPageView) => void) => {
        const line = (seq: number, text: string) => ({
          seq,
          at: "2026-11-26T06:00:01.000Z",
          stderr: true,
          line: text,
        });
        onPage({ lines: [line(1, "no such table")], dropped: 0 });
        onPage({ lines: [line(2, "retrying")], dropped: 0 });
        onPage({ lines: [line(2, "retrying"), line(3, "gave up")], dropped: 0 });
        return Promise.resolve(() => {});
      },
    );
    render(EnvironmentScreen, {
      api: fakeApi({ deploy, followLog }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByText("jobs.migrate"));
    await waitFor(() => expect(screen.getByTestId("log-lines").textContent).toContain("gave up"));
    expect(screen.getByTestId("log-lines").textContent?.match(/retrying/g)?.length).toBe(1);
    expect(followLog).toHaveBeenCalledWith("ted1bc4/1/jobs.migrate", 0, expect.any(Function));

    await fireEvent.click(screen.getByTestId("deploy"));
    await waitFor(() => expect(deploy).toHaveBeenCalledWith("ted1bc4"));
  });

  it("asks before tearing down, and shows a refusal as a readable message", async () => {
    const teardown = vi.fn(() =>
      Promise.reject({ code: "CONFLICT", message: "the environment ted1bc4 is torn down" }),
    );
    render(EnvironmentScreen, { api: fakeApi({ teardown }), envId: "ted1bc4", back: () => {} });

    await fireEvent.click(await screen.findByTestId("teardown"));
    expect(teardown).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-teardown"));
    const error = await screen.findByTestId("action-error");
    expect(error.textContent).toBe("the environment ted1bc4 is torn down");
  });

  it("compares two builds picked from the Builds tab", async () => {
    const compareBuilds = vi.fn(() => Promise.resolve(comparison));
    render(EnvironmentScreen, {
      api: fakeApi({ compareBuilds }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("tab-builds"));
    const compare = await screen.findByTestId("compare");
    expect((compare as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText("Compare build 2"));
    await fireEvent.click(screen.getByLabelText("Compare build 1"));
    expect(compare.textContent?.trim()).toBe("Compare #1 → #2");
    await fireEvent.click(compare);

    expect(compareBuilds).toHaveBeenCalledWith(1, 2);
    const web = await screen.findByTestId("service-comparison");
    expect(web.textContent).toContain("+100 kB");
    expect(web.textContent).toContain("+ COPY www /www (v2)");
    // A layer of the same size, told apart by its files.
    const files = screen.getByTestId("layer-files").textContent ?? "";
    expect(files).toContain("etc/web/site.conf");
    expect(files).toContain("same size");
    expect(files).toContain("etc/web/old.conf renamed to etc/web/new.conf");
    expect(screen.getByTestId("comparison-legend").textContent).toContain("build #1");
    expect(screen.getByTestId("comparison-commits").textContent).toContain("Say hello v2");
  });

  it("lists this environment's builds with their columns, marks the live one, and hides Deploy once torn down", async () => {
    const other: BuildView = {
      ...(builds[1] as BuildView),
      id: 3,
      environment: "other",
      live: false,
    };
    const listed = vi.fn(() => Promise.resolve([other, ...builds]));
    render(EnvironmentScreen, {
      api: fakeApi({
        builds: listed,
        environment: () => Promise.resolve({ ...env, status: "tornDown" }),
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByTestId("tab-builds"));
    const rows = await screen.findAllByTestId("build-row");
    expect(listed).toHaveBeenCalledWith("shop", "ted1bc4");
    // Another environment's build waits behind "All builds".
    expect(rows.map((r) => r.dataset.buildId)).toEqual(["2", "1"]);
    const live = rows[0] as HTMLElement;
    expect(live.querySelector("[data-testid=build-live]")).not.toBeNull();
    expect(live.textContent).toContain("Say hello v2");
    expect(live.textContent).toContain("main");
    expect(live.textContent).toContain("deploy 2");
    expect(screen.queryAllByTestId("deploy-build")).toHaveLength(0);
    expect(screen.getByTestId("builds-no-deploy").textContent).toContain("it is torn down");
    await fireEvent.click(screen.getByTestId("builds-all"));
    expect(screen.getAllByTestId("build-row").map((r) => r.dataset.buildId)).toEqual([
      "3",
      "2",
      "1",
    ]);
  });

  it("opens a failed deploy on its failure: the task, its log's last lines, a rollback and another deploy", async () => {
    const failed: DeployView = {
      ...setup,
      id: 3,
      stage: "patch",
      status: "failed",
      buildId: 2,
      outcome: { outcome: "failed", reason: "step migrate halted" },
    };
    const failedDetail: DeployDetailView = { ...detail, deploy: failed };
    const deployBuild = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 4, stage: "patch", status: "queued" }),
    );
    const deploy = vi.fn(() => Promise.resolve<DeployView>({ ...setup, id: 5, status: "queued" }));
    render(EnvironmentScreen, {
      api: fakeApi({
        timeline: () => Promise.resolve([setup, failed]),
        deployDetail: () => Promise.resolve(failedDetail),
        deployBuild,
        deploy,
      }),
      envId: "ted1bc4",
      back: () => {},
    });

    const summary = await screen.findByTestId("failure-summary");
    expect(summary.textContent).toContain("jobs.migrate");
    expect(summary.textContent).toContain("exited with code 3");
    await waitFor(() =>
      expect(screen.getByTestId("failure-log").textContent).toContain("no such table"),
    );
    await fireEvent.click(screen.getByTestId("failure-rollback"));
    expect(deployBuild).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-rollback"));
    expect(deployBuild).toHaveBeenCalledWith("ted1bc4", 1);
    // The rollback opened on the timeline; the failed deploy, opened again, offers the rest.
    const lanes = await screen.findAllByTestId("deploy-lane");
    const lane = lanes.find((l) => l.dataset.deployId === "3");
    await fireEvent.click(lane?.querySelector("button") as HTMLElement);
    await fireEvent.click(await screen.findByTestId("failure-deploy"));
    expect(deploy).toHaveBeenCalledWith("ted1bc4");
  });

  it("deploys an earlier build's images from its row, then shows the timeline", async () => {
    const deployBuild = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 4, stage: "patch", status: "queued" }),
    );
    render(EnvironmentScreen, {
      api: fakeApi({ deployBuild }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("tab-builds"));
    // Build 2 is live here: only build 1 offers Deploy.
    const buttons = await screen.findAllByTestId("deploy-build");
    expect(buttons).toHaveLength(1);
    await fireEvent.click(buttons[0] as HTMLElement);
    // A rollback is asked about first, and can be called off.
    expect(screen.getByTestId("rollback-confirm").textContent).toContain("Roll back to build #1?");
    expect(deployBuild).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByText("Cancel"));
    expect(screen.queryByTestId("rollback-confirm")).toBeNull();
    await fireEvent.click(buttons[0] as HTMLElement);
    await fireEvent.click(screen.getByTestId("confirm-rollback"));

    expect(deployBuild).toHaveBeenCalledWith("ted1bc4", 1);
    await screen.findByTestId("timeline");
  });

  it("shows a rollback as one, says the environment is pinned, and a success with failures", async () => {
    const rollback: DeployView = {
      ...setup,
      id: 4,
      stage: "patch",
      rollback: true,
      outcome: { outcome: "succeeded", failed_tasks: 0, unready: ["web: 0 of 1 ready"] },
    };
    render(EnvironmentScreen, {
      api: fakeApi({
        timeline: () => Promise.resolve([setup, rollback]),
        nextDeploy: () =>
          Promise.resolve({
            stage: "patch",
            reason: "patch: rolls forward from build #1 (a rollback) to what the branch has",
            pinnedBuild: 1,
          }),
      }),
      envId: "ted1bc4",
      back: () => {},
    });

    expect((await screen.findByTestId("pinned")).textContent).toContain("Pinned to build #1");
    const stages = (await screen.findAllByTestId("lane-stage")).map((s) => s.textContent?.trim());
    expect(stages).toEqual(["Rollback to build #1", "Setup"]);
    expect(screen.getByText("Succeeded with failures")).toBeTruthy();
    expect(screen.getByTestId("deploy-failures").textContent).toBe("not ready: web: 0 of 1 ready");
  });

  it("pauses a running environment, and resumes a paused one saying expiry goes on", async () => {
    const pause = vi.fn(() =>
      Promise.resolve({ ...setup, id: 7, stage: "pause" as const, status: "queued" as const }),
    );
    const running = render(EnvironmentScreen, {
      api: fakeApi({ pause }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByTestId("pause"));
    await waitFor(() => expect(pause).toHaveBeenCalledWith("ted1bc4"));
    expect(screen.queryByTestId("resume")).toBeNull();
    running.unmount();

    const resume = vi.fn(() =>
      Promise.resolve({ ...setup, id: 8, stage: "resume" as const, status: "queued" as const }),
    );
    render(EnvironmentScreen, {
      api: fakeApi({
        environment: () => Promise.resolve({ ...env, status: "paused" }),
        resume,
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    expect((await screen.findByTestId("environment-status")).dataset.status).toBe("paused");
    expect(screen.getByText("Paused")).toBeTruthy();
    expect(screen.getByTestId("paused-note").textContent).toContain(
      "Expiry goes on while it is paused",
    );
    expect(screen.getByTestId("deploy-reason").textContent).toContain("resume, then patch");
    expect(screen.queryByTestId("pause")).toBeNull();
    expect(screen.getByTestId("deploy").title).toContain("resumed first");
    await fireEvent.click(screen.getByTestId("resume"));
    await waitFor(() => expect(resume).toHaveBeenCalledWith("ted1bc4"));
  });

  it("offers Resume after a pause cut short, and Pause after any other failure", async () => {
    const failedPause = { ...setup, id: 2, stage: "pause" as const, status: "failed" as const };
    const cutShort = render(EnvironmentScreen, {
      api: fakeApi({
        environment: () => Promise.resolve({ ...env, status: "failed" }),
        timeline: () => Promise.resolve([setup, failedPause]),
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    expect(await screen.findByTestId("resume")).toBeTruthy();
    expect(screen.queryByTestId("pause")).toBeNull();
    cutShort.unmount();

    const failedPatch = { ...setup, id: 2, stage: "patch" as const, status: "failed" as const };
    render(EnvironmentScreen, {
      api: fakeApi({
        environment: () => Promise.resolve({ ...env, status: "failed" }),
        timeline: () => Promise.resolve([setup, failedPatch]),
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    expect(await screen.findByTestId("pause")).toBeTruthy();
    expect(screen.queryByTestId("resume")).toBeNull();
  });

  it("says a teardown left objects behind, and offers nothing but another teardown", async () => {
    const nextDeploy = vi.fn<EnvironmentsApi["nextDeploy"]>();
    render(EnvironmentScreen, {
      api: fakeApi({
        environment: () => Promise.resolve({ ...env, status: "teardownFailed" }),
        nextDeploy,
      }),
      envId: "ted1bc4",
      back: () => {},
    });

    expect((await screen.findByTestId("teardown-failed")).textContent).toContain(
      "left objects of this environment behind",
    );
    expect(screen.getByText("Teardown failed")).toBeTruthy();
    expect(nextDeploy).not.toHaveBeenCalled();
    expect((screen.getByTestId("deploy") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId("setup")).toBeNull();
    expect(screen.queryByTestId("extend")).toBeNull();
    expect(screen.queryByTestId("pause")).toBeNull();
    expect(screen.getByTestId("teardown")).toBeTruthy();
  });

  it("shows each service's health from its runtime, and reads it again on Refresh", async () => {
    const health = vi.fn<EnvironmentsApi["health"]>(() =>
      Promise.resolve([
        { service: "db", readyReplicas: 1, replicas: 1, ready: true, reason: null },
        { service: "web", readyReplicas: 0, replicas: 1, ready: false, reason: "Exited (1)" },
      ]),
    );
    render(EnvironmentScreen, { api: fakeApi({ health }), envId: "ted1bc4", back: () => {} });

    await waitFor(() => expect(screen.getAllByTestId("service-row")).toHaveLength(2));
    expect(screen.getByTestId("services-summary").textContent).toBe("1 of 2 ready");
    expect(screen.getByTestId("service-reason").textContent).toBe("Exited (1)");
    const calls = health.mock.calls.length;
    await fireEvent.click(screen.getByTestId("services-refresh"));
    await waitFor(() => expect(health.mock.calls.length).toBe(calls + 1));

    health.mockImplementationOnce(() =>
      Promise.reject({ code: "DOCKER_UNREACHABLE", message: "no engine" }),
    );
    await fireEvent.click(screen.getByTestId("services-refresh"));
    expect((await screen.findByTestId("services-error")).textContent).toContain("no engine");
    // What was read before stays.
    expect(screen.getAllByTestId("service-row")).toHaveLength(2);
  });

  it("opens a build's details: its images, each one's output, and a Deploy of its own", async () => {
    const deployBuild = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 4, stage: "patch", status: "queued" }),
    );
    const followLog = vi.fn<EnvironmentsApi["followLog"]>(() => Promise.resolve(() => {}));
    render(EnvironmentScreen, {
      api: fakeApi({ deployBuild, followLog }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("tab-builds"));
    const opens = await screen.findAllByTestId("open-build");
    await fireEvent.click(opens[1] as HTMLElement);
    const details = await screen.findByTestId("build-details");
    expect(details.dataset.buildId).toBe("1");
    expect(details.textContent).toContain("stagecraft/shop/web:1");
    expect(details.textContent).toContain("working tree");

    await fireEvent.click(screen.getByTestId("build-log"));
    await waitFor(() =>
      expect(followLog).toHaveBeenCalledWith("builds/1/web", 0, expect.any(Function)),
    );
    expect(screen.getByTestId("tab-logs").getAttribute("aria-selected")).toBe("true");

    await fireEvent.click(screen.getByTestId("tab-builds"));
    await fireEvent.click((await screen.findAllByTestId("open-build"))[1] as HTMLElement);
    await fireEvent.click(await screen.findByTestId("deploy-opened-build"));
    await fireEvent.click(screen.getByTestId("confirm-rollback"));
    expect(deployBuild).toHaveBeenCalledWith("ted1bc4", 1);
  });

  it("edits the variables file with secrets masked, and says the next deploy sets up", async () => {
    const saveVariables = vi.fn((_envId: string, yaml: string) =>
      Promise.resolve<ConfigVersionView>({
        version: "v1.3",
        parameters: {},
        specific: 3,
        configYaml: yaml,
        createdAt: "2026-12-04T08:00:00.000Z",
        follows: null,
        warnings: [],
      }),
    );
    render(EnvironmentScreen, {
      api: fakeApi({ saveVariables }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByTestId("tab-variables"));

    const editor = (await screen.findByTestId("variables-yaml")) as HTMLTextAreaElement;
    expect(editor.value).toContain("value: ••••••");
    await fireEvent.input(editor, {
      target: { value: `${editor.value}- key: NEW\n  value: one\n` },
    });
    await fireEvent.click(screen.getByTestId("variables-save"));

    expect(saveVariables).toHaveBeenCalledWith("ted1bc4", expect.stringContaining("key: NEW"));
    expect((await screen.findByTestId("variables-notice")).textContent).toContain("v1.3");
  });

  it("with GitOps, the variables file is edited on the branch", async () => {
    const follows = ".release/application_template.yaml on branch main";
    render(EnvironmentScreen, {
      api: fakeApi({ variablesFile: () => Promise.resolve({ yaml: "envs: []\n", follows }) }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByTestId("tab-variables"));

    expect((await screen.findByTestId("variables-follows")).textContent).toContain(follows);
    expect(screen.queryByTestId("variables-yaml")).toBeNull();
  });

  it("with GitOps, shows the configuration read-only and says which file to edit", async () => {
    const follows = ".release/application_template.yaml on branch main";
    const api = fakeApi();
    const history = await api.configHistory("ted1bc4");
    render(EnvironmentScreen, {
      api: fakeApi({
        configHistory: () => Promise.resolve(history.map((v) => ({ ...v, follows }))),
      }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("tab-configuration"));

    expect((await screen.findByTestId("config-follows")).textContent).toContain(follows);
    const editor = await screen.findByTestId("config-yaml");
    expect(editor.getAttribute("aria-readonly")).toBe("true");
    expect(screen.queryByTestId("config-save")).toBeNull();
  });

  it("turns GitOps off for the app when asked to edit the configuration here", async () => {
    const follows = ".release/application_template.yaml on branch main";
    const history = await fakeApi().configHistory("ted1bc4");
    let following = true;
    const setAppGitops = vi.fn((app: string, on: boolean) => {
      following = on;
      return Promise.resolve({
        name: app,
        repoPath: "/src/shop",
        trackingBranch: "main",
        autoDeploy: false,
        imageRegistry: null,
        shareRegistryLogin: false,
        gitops: on,
      });
    });
    render(EnvironmentScreen, {
      api: fakeApi({
        configHistory: () =>
          Promise.resolve(history.map((v) => ({ ...v, follows: following ? follows : null }))),
        setAppGitops,
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByTestId("tab-configuration"));

    // Enabled once the environment (its app) is read.
    const edit = (await screen.findByTestId("config-edit-here")) as HTMLButtonElement;
    await waitFor(() => expect(edit.disabled).toBe(false));
    await fireEvent.click(edit);

    expect(setAppGitops).toHaveBeenCalledWith("shop", false);
    await screen.findByTestId("config-save");
    await waitFor(() =>
      expect(screen.getByTestId("config-yaml").getAttribute("aria-readonly")).toBe("false"),
    );
  });

  it("saves the configuration as a new version, shows a refusal where it is, and diffs versions", async () => {
    const saveConfig = vi.fn((_envId: string, yaml: string) =>
      yaml.includes("replicas: x")
        ? Promise.reject({
            code: "INVALID_FILES",
            message: "ted1bc4 configuration:3:13: error: services[0].replicas: `x` is not a number",
          })
        : Promise.resolve<ConfigVersionView>({
            version: "v1.3",
            parameters: {},
            specific: 3,
            configYaml: yaml,
            createdAt: "2026-11-26T08:00:00.000Z",
            follows: null,
            warnings: [],
          }),
    );
    render(EnvironmentScreen, {
      api: fakeApi({ saveConfig }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("tab-configuration"));
    const unsupported = await screen.findByTestId("config-unsupported");
    expect(unsupported.textContent).toContain("1 key is not carried out");
    expect(unsupported.textContent).toContain("charts: not carried out on Docker");
    const view = EditorView.findFromDOM(await screen.findByTestId("config-yaml"));
    if (!view) throw new Error("no editor");
    const type = async (text: string) => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      await tick();
    };
    await waitFor(() => expect(view.state.doc.toString()).toContain("replicas: 2"));

    await type("services:\n- name: web\n  replicas: x\n");
    await fireEvent.click(screen.getByTestId("config-save"));
    expect((await screen.findByTestId("config-error")).textContent).toContain("line 3, column 13");

    await type("services:\n- name: web\n  replicas: 3\n");
    await fireEvent.click(screen.getByTestId("config-save"));
    expect((await screen.findByTestId("config-notice")).textContent).toContain("v1.3");

    await fireEvent.change(screen.getByTestId("config-compare"), { target: { value: "1" } });
    const diff = await screen.findByTestId("config-diff");
    expect(diff.textContent).toContain("+   replicas: 2");
  });

  it("cancels a running deploy, extends the environment, and sets it up on purpose", async () => {
    const running: DeployView = {
      ...setup,
      id: 2,
      stage: "patch",
      status: "running",
      finishedAt: null,
    };
    const cancel = vi.fn(() => Promise.resolve([{ ...running, status: "cancelled" as const }]));
    const extend = vi.fn(() => Promise.resolve(env));
    const setupCall = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 3, status: "queued" }),
    );
    render(EnvironmentScreen, {
      api: fakeApi({
        timeline: () => Promise.resolve([setup, running]),
        cancel,
        extend,
        setup: setupCall,
      }),
      envId: "ted1bc4",
      back: () => {},
    });

    await fireEvent.click(await screen.findByTestId("cancel"));
    await waitFor(() => expect(cancel).toHaveBeenCalledWith("ted1bc4"));
    await fireEvent.click(screen.getByTestId("extend"));
    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", null));
    await fireEvent.click(screen.getByTestId("setup"));
    await waitFor(() => expect(setupCall).toHaveBeenCalledWith("ted1bc4"));
  });

  it("lists the kept logs by kind in the Logs tab and opens one", async () => {
    const followLog = vi.fn(
      (_resource: string, _afterSeq: number, onPage: (page: LogPageView) => void) => {
        onPage({
          lines: [
            { seq: 1, at: "2026-11-26T06:00:01.000Z", stderr: false, line: "#1 FROM scratch" },
          ],
          dropped: 0,
        });
        return Promise.resolve(() => {});
      },
    );
    render(EnvironmentScreen, { api: fakeApi({ followLog }), envId: "ted1bc4", back: () => {} });

    await fireEvent.click(await screen.findByTestId("tab-logs"));
    const build = await screen.findByText("web, build 1");
    expect(screen.getByTestId("log-resources").textContent).toContain("Job runs");
    await fireEvent.click(build);

    await waitFor(() =>
      expect(screen.getByTestId("log-lines").textContent).toContain("#1 FROM scratch"),
    );
    expect(followLog).toHaveBeenCalledWith("builds/1/web", 0, expect.any(Function));
  });

  it("shows every workload's final variables with secrets masked in the Variables tab", async () => {
    render(EnvironmentScreen, { api: fakeApi(), envId: "ted1bc4", back: () => {} });

    await fireEvent.click(await screen.findByTestId("tab-variables"));

    const token = await screen.findByText("TOKEN");
    expect(token.nextElementSibling?.textContent).toContain("••••••");
    expect(token.nextElementSibling?.getAttribute("data-secret")).toBe("true");
    expect(screen.getByText("MODE").nextElementSibling?.textContent).toBe("dev");
  });

  it("opens the same log again after the window reloads", async () => {
    sessionStorage.clear();
    const followLog = vi.fn<EnvironmentsApi["followLog"]>(() => Promise.resolve(() => {}));
    const first = render(EnvironmentScreen, {
      api: fakeApi({ followLog }),
      envId: "ted1bc4",
      back: () => {},
    });
    await fireEvent.click(await screen.findByText("jobs.migrate"));
    first.unmount();

    render(EnvironmentScreen, { api: fakeApi({ followLog }), envId: "ted1bc4", back: () => {} });

    await waitFor(() => expect(followLog).toHaveBeenCalledTimes(2));
    expect(followLog.mock.calls[1]?.[0]).toBe("ted1bc4/1/jobs.migrate");
    expect(await screen.findByTestId("logs")).toBeTruthy();
    sessionStorage.clear();
  });

  it("deploys on Ctrl+Enter", async () => {
    const deploy = vi.fn(() =>
      Promise.resolve<DeployView>({ ...setup, id: 2, stage: "patch", status: "queued" }),
    );
    render(EnvironmentScreen, { api: fakeApi({ deploy }), envId: "ted1bc4", back: () => {} });
    await waitFor(() => expect(screen.getByTestId("deploy").textContent).toBe("Deploy (patch)"));

    await fireEvent.keyDown(window, { key: "Enter", ctrlKey: true });

    expect(deploy).toHaveBeenCalledWith("ted1bc4");
  });

  it("leaves Ctrl+Enter to an editor: typing in the configuration deploys nothing", async () => {
    const deploy = vi.fn(() => Promise.reject(new Error("not asked for")));
    render(EnvironmentScreen, { api: fakeApi({ deploy }), envId: "ted1bc4", back: () => {} });
    await waitFor(() => expect(screen.getByTestId("deploy").textContent).toBe("Deploy (patch)"));
    await fireEvent.click(screen.getByTestId("tab-configuration"));
    const editor = await screen.findByTestId("config-yaml");

    await fireEvent.keyDown(editor, { key: "Enter", ctrlKey: true });

    expect(deploy).not.toHaveBeenCalled();
  });
});

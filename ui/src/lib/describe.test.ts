import { describe, expect, it } from "vitest";
import {
  activity,
  ago,
  bar,
  bytes,
  comparePair,
  deployLabel,
  lineDiff,
  sizeChange,
  deployFailures,
  deployOutcomeLabel,
  deployStatus,
  duration,
  environmentStatus,
  expiry,
  isActive,
  runsServices,
  serviceHealth,
  servicesReady,
  span,
  taskLog,
  whyNotDeploy,
  whyNotTeardown,
  workflowSteps,
} from "./describe";
import type { DeployView, StepView } from "../ipc";

const T0 = Date.parse("2026-11-26T10:00:00.000Z");

function deploy(status: DeployView["status"]): DeployView {
  return {
    id: 1,
    stage: "setup",
    reason: "first setup",
    status,
    buildId: null,
    queuedAt: "2026-11-26T10:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    rollback: false,
    outcome: null,
    target: null,
  };
}

describe("statuses", () => {
  it("names each status with a tone", () => {
    expect(environmentStatus("settingUp")).toEqual({ label: "Setting up", tone: "pending" });
    expect(environmentStatus("deployed").tone).toBe("ok");
    expect(deployStatus("interrupted")).toEqual({ label: "Interrupted", tone: "error" });
  });

  it("says why a success left failures, and calls it so", () => {
    const clean = { outcome: "succeeded" as const, failed_tasks: 0, unready: [] };
    const dirty = {
      outcome: "succeeded" as const,
      failed_tasks: 2,
      unready: ["web: 0 of 1 ready (Exited (1))"],
    };
    expect(deployFailures(clean)).toBeNull();
    expect(deployFailures(null)).toBeNull();
    expect(deployFailures({ outcome: "failed", reason: "halted" })).toBeNull();
    expect(deployFailures(dirty)).toBe("2 failed tasks; not ready: web: 0 of 1 ready (Exited (1))");
    expect(deployFailures({ ...clean, failed_tasks: 1 })).toBe("1 failed task");
    expect(deployOutcomeLabel("succeeded", dirty)).toEqual({
      label: "Succeeded with failures",
      tone: "warn",
    });
    expect(deployOutcomeLabel("succeeded", clean)).toEqual(deployStatus("succeeded"));
    expect(deployOutcomeLabel("failed", null)).toEqual(deployStatus("failed"));
  });

  it("names each service's health, and shows services only where they may run", () => {
    const ready = { service: "db", readyReplicas: 1, replicas: 1, ready: true, reason: null };
    const crashed = { service: "web", readyReplicas: 0, replicas: 1, ready: false, reason: "x" };
    const gone = { service: "api", readyReplicas: 0, replicas: 0, ready: false, reason: null };
    expect(serviceHealth(ready)).toEqual({ label: "Ready", tone: "ok", replicas: "1 of 1 ready" });
    expect(serviceHealth(crashed).label).toBe("Not ready");
    expect(serviceHealth(gone).label).toBe("Not running");
    expect(servicesReady([ready, crashed, gone])).toBe("1 of 3 ready");
    expect(runsServices("degraded")).toBe(true);
    expect(runsServices("tornDown")).toBe(false);
    expect(runsServices("settingUp")).toBe(false);
  });

  it("says why Deploy or Tear down cannot run in a status, and nothing when they can", () => {
    expect(whyNotDeploy("deployed")).toBeNull();
    expect(whyNotDeploy("failed")).toBeNull();
    expect(whyNotDeploy("tornDown")).toBe("It is torn down");
    expect(whyNotDeploy("teardownFailed")).toContain("only another teardown runs");
    expect(whyNotTeardown("teardownFailed")).toBeNull();
    expect(whyNotTeardown("settingUp")).toBeNull();
    expect(whyNotTeardown("tearingDown")).toBe("It is being torn down");
    expect(whyNotTeardown("tornDown")).toBe("It is torn down already");
  });

  it("refreshes quickly only while a deploy waits or runs", () => {
    expect(isActive([deploy("succeeded"), deploy("queued")])).toBe(true);
    expect(isActive([deploy("succeeded"), deploy("failed")])).toBe(false);
  });
});

describe("times", () => {
  it("says durations the way people read them", () => {
    expect(duration(850)).toBe("850 ms");
    expect(duration(4_240)).toBe("4.2 s");
    expect(duration(185_000)).toBe("3 min 05 s");
    expect(duration(7_440_000)).toBe("2 h 04 min");
  });

  it("counts down to expiry", () => {
    expect(expiry(null, T0)).toBeNull();
    expect(expiry("2026-11-28T13:30:00.000Z", T0)).toBe("expires in 2 d 03 h");
    expect(expiry("2026-11-26T10:20:00.000Z", T0)).toBe("expires in 20 min");
    expect(expiry("2026-11-26T09:00:00.000Z", T0)).toBe("expired");
  });
});

describe("the Gantt chart", () => {
  const steps: StepView[] = [
    {
      step: 0,
      name: "data",
      waitForFinish: true,
      startedAt: "2026-11-26T10:00:00.000Z",
      finishedAt: "2026-11-26T10:00:04.000Z",
      outcome: "succeeded",
      tasks: [
        {
          task: "services.db",
          status: "succeeded",
          startedAt: "2026-11-26T10:00:00.000Z",
          finishedAt: "2026-11-26T10:00:04.000Z",
          waitReason: null,
          detail: null,
          attempts: 1,
          errorCode: null,
        },
      ],
    },
    {
      step: 1,
      name: "apps",
      waitForFinish: true,
      startedAt: "2026-11-26T10:00:04.000Z",
      finishedAt: null,
      outcome: null,
      tasks: [
        {
          task: "services.web",
          status: "waiting",
          startedAt: "2026-11-26T10:00:04.000Z",
          finishedAt: null,
          waitReason: "waiting for readiness: http :8080/, attempt 3",
          detail: null,
          attempts: 1,
          errorCode: null,
        },
      ],
    },
  ];

  it("spans a running deploy up to now", () => {
    expect(span(steps, T0 + 10_000)).toEqual({ start: T0, end: T0 + 10_000 });
    expect(span([], T0)).toBeNull();
  });

  it("places each task by its start and length", () => {
    const whole = { start: T0, end: T0 + 10_000 };
    const [db, web] = steps.flatMap((s) => s.tasks);
    expect(db && bar(whole, db, T0 + 10_000)).toEqual({ left: 0, width: 40 });
    expect(web && bar(whole, web, T0 + 10_000)).toEqual({ left: 40, width: 60 });
    expect(bar(whole, { startedAt: null, finishedAt: null }, T0)).toBeNull();
  });
});

describe("logs", () => {
  it("finds a task's log", () => {
    expect(taskLog("ted1bc4", 7, "jobs.migrate")).toBe("ted1bc4/7/jobs.migrate");
    expect(taskLog("ted1bc4", 7, "services.web")).toBe("ted1bc4/services.web");
    expect(taskLog("ted1bc4", 7, "release.remove_environment")).toBeNull();
  });
});

describe("builds", () => {
  it("says sizes as Docker does", () => {
    expect(bytes(1_985_481)).toBe("2.0 MB");
    expect(bytes(840_000)).toBe("840 kB");
    expect(bytes(512)).toBe("512 B");
    expect(sizeChange(1_200_000)).toBe("+1.2 MB");
    expect(sizeChange(-340_000)).toBe("−340 kB");
    expect(sizeChange(0)).toBe("no change");
    expect(sizeChange(null)).toBe("");
  });

  it("compares exactly two builds, the older first", () => {
    expect(comparePair([7, 3])).toEqual([3, 7]);
    expect(comparePair([7])).toBeNull();
    expect(comparePair([1, 2, 3])).toBeNull();
  });
});

describe("configuration diffs", () => {
  it("marks each line added, removed or unchanged", () => {
    expect(lineDiff("a: 1\nb: 2\n", "a: 1\nb: 3\nc: 4\n")).toEqual([
      { kind: "same", text: "a: 1" },
      { kind: "removed", text: "b: 2" },
      { kind: "added", text: "b: 3" },
      { kind: "added", text: "c: 4" },
    ]);
  });
});

describe("what an environment is doing", () => {
  const idle = { stage: null, building: false, step: null, stepsDone: 0, queued: 0 };
  it("names the stage and step, the build, and what waits", () => {
    expect(activity(null)).toBeNull();
    expect(activity({ ...idle, stage: "setup", step: "migrate", stepsDone: 1 })).toBe(
      "setup · step migrate (1 done)",
    );
    expect(activity({ ...idle, stage: "patch", building: true, queued: 2 })).toBe(
      "patch · building images, 2 deploys queued",
    );
    expect(activity({ ...idle, queued: 1 })).toBe("1 deploy queued");
    expect(activity({ ...idle, stage: "teardown" })).toBe("teardown · starting");
    expect(activity({ ...idle, stage: "workflow", step: "ingest" })).toBe("workflow · step ingest");
  });
});

describe("custom workflows", () => {
  it("labels a lane by its stage, the workflow it ran, or the build it rolled back to", () => {
    expect(deployLabel(deploy("succeeded"))).toEqual({ label: "Setup", title: undefined });
    expect(deployLabel({ ...deploy("succeeded"), stage: "workflow", target: "reindex" })).toEqual({
      label: "reindex",
      title: "Custom workflow reindex",
    });
    expect(deployLabel({ ...deploy("succeeded"), stage: "workflow" })).toEqual({
      label: "Workflow",
      title: "A custom workflow",
    });
    expect(
      deployLabel({ ...deploy("succeeded"), stage: "patch", rollback: true, buildId: 3 }),
    ).toEqual({
      label: "Rollback to build #3",
      title: "A patch with build #3's images, nothing built",
    });
  });

  it("says a workflow's steps in a line: tasks together with +, steps in turn with →", () => {
    expect(
      workflowSteps({
        name: "gitbook-ingest",
        steps: [
          { name: "fetch", tasks: ["jobs.fetch"] },
          { name: "ingest", tasks: ["jobs.ingest", "jobs.index"] },
          { name: "wait", tasks: [] },
        ],
      }),
    ).toBe("jobs.fetch → jobs.ingest + jobs.index → wait");
    expect(workflowSteps({ name: "empty", steps: [] })).toBe("");
  });
});

describe("ages", () => {
  const now = Date.parse("2026-11-26T12:00:00.000Z");
  it("says how long ago, roughly", () => {
    expect(ago("2026-11-26T11:59:40.000Z", now)).toBe("just now");
    expect(ago("2026-11-26T11:48:00.000Z", now)).toBe("12 min ago");
    expect(ago("2026-11-26T09:00:00.000Z", now)).toBe("3 h ago");
    expect(ago("2026-11-21T12:00:00.000Z", now)).toBe("5 d ago");
  });
});

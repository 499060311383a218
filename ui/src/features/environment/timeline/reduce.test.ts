import { describe, expect, it } from "vitest";
import type { DeployEvent, DeployView, StepView, TaskView } from "../../../ipc";
import { applyEvent, ordered, type Timeline } from "./reduce";

const T0 = "2026-11-26T06:00:00.000Z";
const T1 = "2026-11-26T06:00:01.000Z";
const T2 = "2026-11-26T06:00:02.000Z";

const running: DeployView = {
  id: 7,
  stage: "setup",
  reason: "first setup",
  status: "running",
  buildId: null,
  queuedAt: T0,
  startedAt: T0,
  finishedAt: null,
  rollback: false,
  outcome: null,
  target: null,
};

const older: DeployView = {
  ...running,
  id: 6,
  status: "succeeded",
  finishedAt: T0,
};

function task(name: string, changes: Partial<TaskView> = {}): TaskView {
  return {
    task: name,
    status: "pending",
    startedAt: null,
    finishedAt: null,
    waitReason: null,
    detail: null,
    attempts: 1,
    errorCode: null,
    ...changes,
  };
}

function step(index: number, tasks: TaskView[], changes: Partial<StepView> = {}): StepView {
  return {
    step: index,
    name: `step${index}`,
    waitForFinish: true,
    startedAt: T0,
    finishedAt: null,
    outcome: null,
    tasks,
    ...changes,
  };
}

/** The running deploy open, with one step of two tasks: `jobs.migrate` running, `services.web`
 *  not started. */
function timeline(
  tasks: TaskView[] = [
    task("services.web"),
    task("jobs.migrate", { status: "running", startedAt: T0 }),
  ],
): Timeline {
  return {
    deploys: [older, running],
    detail: { deploy: running, steps: [step(0, tasks)] },
  };
}

function apply(before: Timeline, event: DeployEvent, at = T1, deployId = 7): Timeline {
  return applyEvent(before, deployId, { at, event });
}

function taskOf(after: Timeline, name: string, index = 0): TaskView | undefined {
  return after.detail?.steps.find((s) => s.step === index)?.tasks.find((t) => t.task === name);
}

describe("a deploy's events applied to its timeline", () => {
  it("stage_started: a queued deploy runs from then", () => {
    const queued = { ...running, status: "queued" as const, startedAt: null };
    const before: Timeline = { deploys: [queued], detail: { deploy: queued, steps: [] } };
    const after = apply(before, { type: "stage_started", stage: "setup", reason: "first setup" });
    expect(after.deploys[0]).toEqual({ ...queued, status: "running", startedAt: T1 });
    expect(after.detail?.deploy).toEqual(after.deploys[0]);
    // Already running (the store sets it so before the first event): nothing changes.
    const again = timeline();
    expect(apply(again, { type: "stage_started", stage: "setup", reason: "x" })).toBe(again);
  });

  it("step_started: a step with its tasks listed, pending, in the store's order", () => {
    const after = apply(timeline(), {
      type: "step_started",
      step: 1,
      name: "apps",
      tasks: ["services.web", "services.api"],
      wait_for_finish: false,
    });
    expect(after.detail?.steps[1]).toEqual({
      step: 1,
      name: "apps",
      waitForFinish: false,
      startedAt: T1,
      finishedAt: null,
      outcome: null,
      tasks: [task("services.api"), task("services.web")],
    });
    // Told twice (a replay over a read that had it): still one step.
    const twice = apply(after, {
      type: "step_started",
      step: 1,
      name: "apps",
      tasks: ["services.web"],
      wait_for_finish: false,
    });
    expect(twice).toBe(after);
  });

  it("task_started: the task runs from then, and moves after the unstarted ones", () => {
    const before = timeline([task("a"), task("b"), task("c")]);
    const after = apply(before, { type: "task_started", step: 0, task: "a" });
    expect(after.detail?.steps[0]?.tasks.map((t) => [t.task, t.status, t.startedAt])).toEqual([
      ["b", "pending", null],
      ["c", "pending", null],
      ["a", "running", T1],
    ]);
    // The lanes are not touched by a task's event.
    expect(after.deploys).toBe(before.deploys);
  });

  it("task_waiting: waiting, and why", () => {
    const after = apply(timeline(), {
      type: "task_waiting",
      step: 0,
      task: "jobs.migrate",
      reason: "waiting for readiness",
    });
    expect(taskOf(after, "jobs.migrate")).toMatchObject({
      status: "waiting",
      waitReason: "waiting for readiness",
      startedAt: T0,
    });
  });

  it("service_switched: running again, the switch said on the task as the store keeps it", () => {
    const waiting = apply(timeline(), {
      type: "task_waiting",
      step: 0,
      task: "jobs.migrate",
      reason: "waiting for readiness",
    });
    const detail = "the ingress sends web's requests to its new container (127.0.0.1:24567)";
    const after = apply(waiting, {
      type: "service_switched",
      step: 0,
      task: "jobs.migrate",
      millis: 1400,
      detail,
    });
    expect(taskOf(after, "jobs.migrate")).toMatchObject({ status: "running", detail });
  });

  it("task_retrying and task_attempt_started: the attempt, and why the last one failed", () => {
    let after = apply(timeline(), {
      type: "task_retrying",
      step: 0,
      task: "jobs.migrate",
      attempt: 1,
      of: 3,
      error: "the engine closed the connection",
      retry_in_ms: 2000,
    });
    expect(taskOf(after, "jobs.migrate")).toMatchObject({
      status: "retrying",
      attempts: 1,
      waitReason: "attempt 1 of 3 failed: the engine closed the connection; trying again in 2 s",
    });
    after = apply(after, {
      type: "task_attempt_started",
      step: 0,
      task: "jobs.migrate",
      attempt: 2,
    });
    expect(taskOf(after, "jobs.migrate")).toMatchObject({ status: "running", attempts: 2 });
    after = apply(after, {
      type: "task_retrying",
      step: 0,
      task: "jobs.migrate",
      attempt: 2,
      of: 3,
      error: "reset",
      retry_in_ms: 1500,
    });
    expect(taskOf(after, "jobs.migrate")?.waitReason).toBe(
      "attempt 2 of 3 failed: reset; trying again in 1500 ms",
    );
    // An older attempt told again does not take the count back.
    after = apply(after, {
      type: "task_attempt_started",
      step: 0,
      task: "jobs.migrate",
      attempt: 1,
    });
    expect(taskOf(after, "jobs.migrate")?.attempts).toBe(2);
  });

  it("task_finished: its status, its end and, for a failure, why", () => {
    const outcomes: [DeployEvent & { type: "task_finished" }, string, string | null][] = [
      [finished({ outcome: "succeeded" }), "succeeded", null],
      [
        finished({ outcome: "failed", error: "exited with code 3", halts: false }),
        "failed",
        "exited with code 3",
      ],
      [
        finished({ outcome: "timed_out", after_secs: 30, halts: true }),
        "timed_out",
        "timed out after 30 s",
      ],
      [finished({ outcome: "cancelled" }), "cancelled", null],
      [
        finished({ outcome: "skipped", reason: "an earlier step halted" }),
        "skipped",
        "an earlier step halted",
      ],
    ];
    for (const [event, status, detail] of outcomes) {
      const after = apply(timeline(), event, T2);
      expect(taskOf(after, "jobs.migrate")).toEqual(
        task("jobs.migrate", { status, detail, startedAt: T0, finishedAt: T2 }),
      );
    }
    // A task that never started (skipped) starts as it ends.
    const skipped = apply(
      timeline(),
      {
        type: "task_finished",
        step: 0,
        task: "services.web",
        outcome: { outcome: "skipped", reason: "halted" },
      },
      T2,
    );
    expect(taskOf(skipped, "services.web")).toMatchObject({ startedAt: T2, finishedAt: T2 });
  });

  it("task_finished: a runtime's failure keeps the error code until the next read gives it", () => {
    // The code depends on the runtime (ErrorCode::of_runtime in the api): the live view does
    // not guess it, and the read after the deploy ends brings the stored one.
    const failed = apply(
      timeline(),
      finished({
        outcome: "failed",
        error: "the engine is gone",
        halts: true,
        kind: "unreachable",
      }),
    );
    expect(taskOf(failed, "jobs.migrate")).toMatchObject({
      status: "failed",
      detail: "the engine is gone",
      errorCode: null,
    });
  });

  it("a finished task stays finished, whatever older event comes again", () => {
    const done = apply(timeline(), finished({ outcome: "succeeded" }), T2);
    for (const event of [
      { type: "task_started", step: 0, task: "jobs.migrate" },
      { type: "task_waiting", step: 0, task: "jobs.migrate", reason: "waiting" },
      { type: "task_attempt_started", step: 0, task: "jobs.migrate", attempt: 2 },
      finished({ outcome: "failed", error: "x", halts: false }),
    ] satisfies DeployEvent[]) {
      expect(apply(done, event)).toBe(done);
    }
  });

  it("step_finished: the step's outcome and end", () => {
    const after = apply(
      timeline(),
      { type: "step_finished", step: 0, outcome: "succeeded_with_failures" },
      T2,
    );
    expect(after.detail?.steps[0]).toMatchObject({
      outcome: "succeeded_with_failures",
      finishedAt: T2,
    });
    expect(
      apply(after, { type: "step_finished", step: 0, outcome: "succeeded_with_failures" }),
    ).toBe(after);
  });

  it("stage_finished: the deploy's status from its outcome, and its end, on its lane and open", () => {
    const outcomes: [DeployEvent & { type: "stage_finished" }, DeployView["status"]][] = [
      [stageFinished({ outcome: "succeeded", failed_tasks: 1, unready: [] }), "succeeded"],
      [stageFinished({ outcome: "failed", reason: "a step halted" }), "failed"],
      [stageFinished({ outcome: "cancelled" }), "cancelled"],
      [stageFinished({ outcome: "interrupted", reason: "stopped" }), "interrupted"],
    ];
    for (const [event, status] of outcomes) {
      const after = apply(timeline(), event, T2);
      expect(after.deploys[1]).toEqual({
        ...running,
        status,
        finishedAt: T2,
        outcome: event.outcome,
      });
      expect(after.detail?.deploy).toEqual(after.deploys[1]);
      expect(after.deploys[0]).toBe(older);
      // Ended once: a replayed end (or the stored one) stays.
      expect(apply(after, stageFinished({ outcome: "cancelled" }))).toBe(after);
    }
  });

  it("deploy_interrupted: the deploy is interrupted", () => {
    const after = apply(
      timeline(),
      { type: "deploy_interrupted", reason: "Stagecraft stopped" },
      T2,
    );
    expect(after.deploys[1]).toEqual({ ...running, status: "interrupted", finishedAt: T2 });
  });

  it("changes only the lane of a deploy that is not open", () => {
    const before: Timeline = { ...timeline(), detail: { deploy: older, steps: [] } };
    const after = apply(
      before,
      stageFinished({ outcome: "succeeded", failed_tasks: 0, unready: [] }),
    );
    expect(after.deploys[1]?.status).toBe("succeeded");
    expect(after.detail).toBe(before.detail);
    const stepped = apply(before, {
      type: "step_started",
      step: 0,
      name: "data",
      tasks: [],
      wait_for_finish: true,
    });
    expect(stepped).toBe(before);
  });

  it("the events with no place on the timeline change nothing there", () => {
    const before = timeline();
    const events: DeployEvent[] = [
      { type: "infrastructure_prepared" },
      {
        type: "service_unavailable",
        step: 0,
        task: "services.web",
        millis: 400,
        reason: "no replica ready",
      },
      { type: "steps_awaited", steps: [0] },
      { type: "environment_removed" },
      { type: "service_build_reused", service: "web", reason: "unchanged" },
      { type: "service_build_started", service: "web" },
      { type: "service_build_step", service: "web", instruction: "COPY www /www", cached: true },
      { type: "service_built", service: "web", image_id: "sha256:1", size_bytes: 1, cache_hits: 2 },
      { type: "service_build_failed", service: "web", error: "no such file" },
    ];
    for (const event of events) expect(apply(before, event)).toBe(before);
  });

  it("ignores a task or step it does not show", () => {
    const before = timeline();
    expect(apply(before, { type: "task_started", step: 3, task: "jobs.migrate" })).toBe(before);
    expect(apply(before, { type: "task_started", step: 0, task: "jobs.other" })).toBe(before);
    expect(apply(before, { type: "step_finished", step: 3, outcome: "succeeded" })).toBe(before);
  });

  it("orders a step's tasks as the store does: unstarted first, then by start, then by name", () => {
    const tasks = [
      task("d", { startedAt: T2 }),
      task("b", { startedAt: T1 }),
      task("c"),
      task("a", { startedAt: T1 }),
    ];
    expect(ordered(tasks).map((t) => t.task)).toEqual(["c", "a", "b", "d"]);
  });
});

function finished(outcome: (DeployEvent & { type: "task_finished" })["outcome"]) {
  return { type: "task_finished", step: 0, task: "jobs.migrate", outcome } as const;
}

function stageFinished(outcome: (DeployEvent & { type: "stage_finished" })["outcome"]) {
  return { type: "stage_finished", stage: "setup", outcome } as const;
}

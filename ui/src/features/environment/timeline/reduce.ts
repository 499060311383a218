// A followed deploy's events applied to the timeline the screen shows: its lane's status and
// outcome, and when it is the open deploy, its steps and tasks.
//
// The stored timeline is the truth. The store turns these same events into the deploy's
// `deploy_step` and `deploy_task` rows as it keeps them (crates/store/src/timeline.rs, `apply`),
// and the api reads those rows back (`timeline` and `deploy_detail`, crates/api/src/timeline.rs,
// through the store's `steps` and `tasks` queries). This reducer only carries the live deltas
// between two reads: it follows the store's rules and shapes (the generated DeployView,
// StepView and TaskView; the same statuses, times, wait reasons, details and task order), so
// the next read changes nothing it drew. What the events do not carry (a deploy queued,
// started or ended, the environment's status, its build, a failed task's error code, which
// depends on its runtime) comes from reading the api again, and once a deploy has ended the
// screen reads it again to settle on the stored truth.
//
// An event may be applied twice, or over a read that already holds it (a load that ran while
// events arrived is given them again): a step started twice is one step, a finished task or
// deploy stays finished, attempts only grow.
import type {
  DeployDetailView,
  DeployEvent,
  DeployOutcome,
  DeployStatusView,
  DeployView,
  FollowMessage,
  StepView,
  TaskOutcome,
  TaskView,
} from "../../../ipc";

/** What the timeline tab shows: the lanes, and the open deploy's steps. */
export interface Timeline {
  /** Every deploy of the environment, oldest first (`timeline`). */
  deploys: DeployView[];
  /** The deploy opened into its steps and tasks (`deploy_detail`), if one is. */
  detail: DeployDetailView | undefined;
}

/** A deploy's event as its stream sends it. */
export type EventMessage = Extract<FollowMessage, { kind: "event" }>;

/**
 * The timeline with the event `deployId` stored at `at` applied; the same object when the
 * event changes nothing it shows.
 */
export function applyEvent(
  timeline: Timeline,
  deployId: number,
  { at, event }: Pick<EventMessage, "at" | "event">,
): Timeline {
  const deploys = replace(
    timeline.deploys,
    (d) => d.id === deployId,
    (d) => deployAfter(d, event, at),
  );
  let detail = timeline.detail;
  if (detail !== undefined && detail.deploy.id === deployId) {
    const deploy = deployAfter(detail.deploy, event, at);
    const steps = stepsAfter(detail.steps, event, at);
    if (deploy !== detail.deploy || steps !== detail.steps) detail = { deploy, steps };
  }
  return deploys === timeline.deploys && detail === timeline.detail
    ? timeline
    : { deploys, detail };
}

function isFinished(deploy: DeployView): boolean {
  return deploy.status !== "queued" && deploy.status !== "running";
}

/** The deploy's lane after `event`: it runs from its stage's start and ends with it. */
function deployAfter(deploy: DeployView, event: DeployEvent, at: string): DeployView {
  if (isFinished(deploy)) return deploy;
  switch (event.type) {
    case "stage_started":
      return deploy.status === "running" && deploy.startedAt !== null
        ? deploy
        : { ...deploy, status: "running", startedAt: deploy.startedAt ?? at };
    case "stage_finished":
      return {
        ...deploy,
        status: endedStatus(event.outcome),
        finishedAt: at,
        outcome: event.outcome,
      };
    case "deploy_interrupted":
      return { ...deploy, status: "interrupted", finishedAt: at };
    default:
      return deploy;
  }
}

/** The status a deploy is stored with once it ended so (the api's `finish`). */
export function endedStatus(outcome: DeployOutcome): DeployStatusView {
  return outcome.outcome;
}

/** The open deploy's steps after `event`. */
function stepsAfter(steps: StepView[], event: DeployEvent, at: string): StepView[] {
  switch (event.type) {
    case "step_started": {
      if (steps.some((s) => s.step === event.step)) return steps;
      const started: StepView = {
        step: event.step,
        name: event.name,
        waitForFinish: event.wait_for_finish,
        startedAt: at,
        finishedAt: null,
        outcome: null,
        tasks: ordered(event.tasks.map(pendingTask)),
      };
      return [...steps, started].sort((a, b) => a.step - b.step);
    }
    case "step_finished":
      return replace(
        steps,
        (s) => s.step === event.step,
        (s) =>
          s.finishedAt !== null && s.outcome === event.outcome
            ? s
            : { ...s, finishedAt: s.finishedAt ?? at, outcome: event.outcome },
      );
    case "task_started":
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status: "running",
        startedAt: t.startedAt ?? at,
      }));
    case "task_waiting":
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status: "waiting",
        waitReason: event.reason,
      }));
    case "task_retrying":
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status: "retrying",
        attempts: Math.max(t.attempts, event.attempt),
        waitReason: `attempt ${event.attempt} of ${event.of} failed: ${event.error}; trying again in ${seconds(event.retry_in_ms)}`,
      }));
    case "task_attempt_started":
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status: "running",
        attempts: Math.max(t.attempts, event.attempt),
      }));
    case "task_finished": {
      const [status, detail] = taskOutcome(event.outcome);
      // A task that finishes without a start of its own (skipped) starts as it ends.
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status,
        startedAt: t.startedAt ?? at,
        finishedAt: at,
        detail: detail ?? t.detail,
      }));
    }
    case "service_switched":
      // The task's service has its new replica behind the ingress: said on the task, which
      // runs on (the old replica stops after).
      return withTask(steps, event.step, event.task, (t) => ({
        ...t,
        status: "running",
        detail: event.detail,
      }));
    // The rest (builds, a service unavailable for a while, steps awaited, the environment
    // removed) add lines to the progress feed but nothing to the steps and tasks.
    default:
      return steps;
  }
}

function pendingTask(task: string): TaskView {
  return {
    task,
    status: "pending",
    startedAt: null,
    finishedAt: null,
    waitReason: null,
    detail: null,
    attempts: 1,
    errorCode: null,
  };
}

/** A task's status and detail once it ended so (the store's `task_outcome`). */
function taskOutcome(outcome: TaskOutcome): [string, string | null] {
  switch (outcome.outcome) {
    case "succeeded":
      return ["succeeded", null];
    case "failed":
      return ["failed", outcome.error];
    case "timed_out":
      return ["timed_out", `timed out after ${outcome.after_secs} s`];
    case "cancelled":
      return ["cancelled", null];
    case "skipped":
      return ["skipped", outcome.reason];
  }
}

/** "1 s", "500 ms": a wait as the store words it. */
function seconds(millis: number): string {
  return millis % 1000 === 0 ? `${millis / 1000} s` : `${millis} ms`;
}

/** The steps with the task `task` of step `step` changed by `change`, unless it finished. */
function withTask(
  steps: StepView[],
  step: number,
  task: string,
  change: (task: TaskView) => TaskView,
): StepView[] {
  return replace(
    steps,
    (s) => s.step === step,
    (s) => {
      const tasks = replace(s.tasks, (t) => t.task === task && t.finishedAt === null, change);
      return tasks === s.tasks ? s : { ...s, tasks: ordered(tasks) };
    },
  );
}

/** A step's tasks in the store's order: by start (the unstarted first), then by name. */
export function ordered(tasks: TaskView[]): TaskView[] {
  return [...tasks].sort((a, b) => {
    if (a.startedAt !== b.startedAt) {
      if (a.startedAt === null) return -1;
      if (b.startedAt === null) return 1;
      return a.startedAt < b.startedAt ? -1 : 1;
    }
    return a.task < b.task ? -1 : a.task > b.task ? 1 : 0;
  });
}

/** `items` with the ones `which` picks replaced by `change`; the same array if none changed. */
function replace<T>(items: T[], which: (item: T) => boolean, change: (item: T) => T): T[] {
  let changed = false;
  const next = items.map((item) => {
    if (!which(item)) return item;
    const after = change(item);
    if (after !== item) changed = true;
    return after;
  });
  return changed ? next : items;
}

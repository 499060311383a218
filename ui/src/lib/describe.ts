import { diffLines } from "diff";
// What the environment screens say and draw, as plain functions: tested without a window.
import type {
  ActivityView,
  CustomWorkflow,
  DeployOutcome,
  DeployStatusView,
  DeployView,
  EnvironmentStatusView,
  ServiceHealthView,
  StepView,
  TaskView,
} from "../ipc";

export type Tone = "ok" | "warn" | "error" | "pending" | "neutral";

const ENVIRONMENT_STATUS: Record<EnvironmentStatusView, [string, Tone]> = {
  created: ["Created", "neutral"],
  settingUp: ["Setting up", "pending"],
  deployed: ["Deployed", "ok"],
  // Running, but a service failed or is not ready: kept apart from the deploy's own status.
  degraded: ["Degraded", "warn"],
  patching: ["Patching", "pending"],
  failed: ["Failed", "error"],
  interrupted: ["Interrupted", "error"],
  tearingDown: ["Tearing down", "pending"],
  // A teardown left objects behind: only another teardown runs.
  teardownFailed: ["Teardown failed", "error"],
  tornDown: ["Torn down", "neutral"],
  pausing: ["Pausing", "pending"],
  // Its containers are stopped and kept: nothing to worry about, nothing running.
  paused: ["Paused", "neutral"],
  resuming: ["Resuming", "pending"],
};

export function environmentStatus(status: EnvironmentStatusView): { label: string; tone: Tone } {
  const [label, tone] = ENVIRONMENT_STATUS[status];
  return { label, tone };
}

/** Whether the environment's services may be running, so their health is worth showing: once
 *  deployed (degraded too), while a patch runs, and after a failed deploy (which may leave some
 *  up). Not before its first setup, nor once it is being torn down. */
export function runsServices(status: EnvironmentStatusView): boolean {
  return (
    status === "deployed" ||
    status === "degraded" ||
    status === "patching" ||
    status === "failed" ||
    status === "teardownFailed"
  );
}

/** Why Deploy cannot run on an environment in this status, or null when it can: nothing but
 *  a teardown runs once it is torn down, being torn down, or its teardown left objects behind. */
export function whyNotDeploy(status: EnvironmentStatusView): string | null {
  switch (status) {
    case "tornDown":
      return "It is torn down";
    case "tearingDown":
      return "It is being torn down";
    case "teardownFailed":
      return "Its last teardown left objects behind: only another teardown runs";
    default:
      return null;
  }
}

/** Why Tear down cannot run on an environment in this status, or null when it can. */
export function whyNotTeardown(status: EnvironmentStatusView): string | null {
  switch (status) {
    case "tornDown":
      return "It is torn down already";
    case "tearingDown":
      return "It is being torn down";
    default:
      return null;
  }
}

const DEPLOY_STATUS: Record<DeployStatusView, [string, Tone]> = {
  queued: ["Queued", "pending"],
  running: ["Running", "pending"],
  succeeded: ["Succeeded", "ok"],
  failed: ["Failed", "error"],
  cancelled: ["Cancelled", "neutral"],
  interrupted: ["Interrupted", "error"],
};

export function deployStatus(status: DeployStatusView): { label: string; tone: Tone } {
  const [label, tone] = DEPLOY_STATUS[status];
  return { label, tone };
}

/**
 * Why a deploy that ran to its end left its environment degraded, as the engine's progress line
 * words it: "1 failed task; not ready: web: 0 of 1 ready (Exited (1))". Null for a clean
 * success, for any other end, and when the outcome is not known.
 */
export function deployFailures(outcome: DeployOutcome | null | undefined): string | null {
  if (outcome?.outcome !== "succeeded") return null;
  const why: string[] = [];
  const failed = outcome.failed_tasks;
  if (failed > 0) why.push(`${failed} failed ${failed === 1 ? "task" : "tasks"}`);
  if (outcome.unready.length > 0) why.push(`not ready: ${outcome.unready.join(", ")}`);
  return why.length > 0 ? why.join("; ") : null;
}

/** A deploy's status as its lane says it: a success with failures (see {@link deployFailures})
 *  is not a green one. Without a known outcome, the status alone. */
export function deployOutcomeLabel(
  status: DeployStatusView,
  outcome: DeployOutcome | null | undefined,
): { label: string; tone: Tone } {
  if (status === "succeeded" && deployFailures(outcome) !== null) {
    return { label: "Succeeded with failures", tone: "warn" };
  }
  return deployStatus(status);
}

/** A service's pill and its replicas: "Ready", "Not ready", or "Not running" with none. */
export function serviceHealth(service: ServiceHealthView): {
  label: string;
  tone: Tone;
  replicas: string;
} {
  const replicas = `${service.readyReplicas} of ${service.replicas} ready`;
  if (service.ready) return { label: "Ready", tone: "ok", replicas };
  return { label: service.replicas === 0 ? "Not running" : "Not ready", tone: "warn", replicas };
}

/** "2 of 3 ready": how many of the services are ready. */
export function servicesReady(services: ServiceHealthView[]): string {
  return `${services.filter((s) => s.ready).length} of ${services.length} ready`;
}

export function taskTone(status: string): Tone {
  switch (status) {
    case "succeeded":
      return "ok";
    case "failed":
    case "timed_out":
      return "error";
    case "running":
    case "waiting":
    case "retrying":
    case "pending":
      return "pending";
    default:
      return "neutral";
  }
}

/** Whether something is still to happen: the screen then refreshes quickly. */
export function isActive(deploys: DeployView[]): boolean {
  return deploys.some((d) => d.status === "queued" || d.status === "running");
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a deploy's lane calls it, and the lane's tooltip: its stage ("Patch"), the custom
 *  workflow or the cron job it ran ("gitbook-ingest", "tick"), or the build a rollback went
 *  back to. */
export function deployLabel(
  deploy: Pick<DeployView, "stage" | "rollback" | "buildId" | "target">,
): { label: string; title: string | undefined } {
  if (deploy.rollback) {
    return {
      label: `Rollback to build #${deploy.buildId}`,
      title: `A ${deploy.stage} with build #${deploy.buildId}'s images, nothing built`,
    };
  }
  if (deploy.stage === "workflow") {
    return deploy.target === null
      ? { label: "Workflow", title: "A custom workflow" }
      : { label: deploy.target, title: `Custom workflow ${deploy.target}` };
  }
  if (deploy.stage === "cron") {
    return deploy.target === null
      ? { label: "Cron job", title: "A cron job" }
      : { label: deploy.target, title: `Cron job ${deploy.target}` };
  }
  return { label: capitalise(deploy.stage), title: undefined };
}

/** A custom workflow's steps in a line: each step's tasks (which run together) joined by
 *  " + ", the steps by " → ": "jobs.fetch → jobs.ingest + jobs.index". A step without
 *  tasks goes by its name. */
export function workflowSteps(workflow: CustomWorkflow): string {
  return workflow.steps
    .map((step) => (step.tasks.length > 0 ? step.tasks.join(" + ") : step.name))
    .join(" → ");
}

/** Milliseconds between two stored times; `to` defaults to `now`. */
export function elapsed(from: string, to: string | null, now: number): number {
  const start = Date.parse(from);
  const end = to === null ? now : Date.parse(to);
  return Math.max(0, end - start);
}

/** `850 ms`, `4.2 s`, `3 min 05 s`, `2 h 04 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** What an environment is doing, in a few words: "setup · step migrate (1 done)",
 *  "building images", "2 deploys queued"; null when it is doing nothing. */
export function activity(now: ActivityView | null): string | null {
  if (now === null) return null;
  const parts: string[] = [];
  if (now.stage !== null) {
    // A cron run is one job's run, not a deploy of the environment: said as such.
    const stage = now.stage === "cron" ? "cron job" : now.stage;
    if (now.building) parts.push(`${stage} · building images`);
    else if (now.step !== null)
      parts.push(
        `${stage} · step ${now.step}${now.stepsDone > 0 ? ` (${now.stepsDone} done)` : ""}`,
      );
    else parts.push(`${stage} · starting`);
  }
  if (now.queued > 0) parts.push(`${now.queued} ${now.queued === 1 ? "deploy" : "deploys"} queued`);
  return parts.length > 0 ? parts.join(", ") : null;
}

/** How long ago a stored time was: "just now", "12 min ago", "3 h ago", "5 d ago". */
export function ago(at: string, now: number): string {
  const minutes = Math.floor((now - Date.parse(at)) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** How long until a stored time: "in under a minute", "in 12 min", "in 3 h", "in 5 d"; "due
 *  now" once it has come (what was due then has not been told of yet). */
export function until(at: string, now: number): string {
  const seconds = Math.floor((Date.parse(at) - now) / 1000);
  if (seconds <= 0) return "due now";
  if (seconds < 60) return "in under a minute";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `in ${hours} h`;
  return `in ${Math.floor(hours / 24)} d`;
}

/** "expires in 2 d 03 h", "expired", or nothing for a permanent environment. */
export function expiry(expiresAt: string | null, now: number): string | null {
  if (expiresAt === null) return null;
  const left = Date.parse(expiresAt) - now;
  if (left <= 0) return "expired";
  const hours = Math.floor(left / 3_600_000);
  if (hours >= 24)
    return `expires in ${Math.floor(hours / 24)} d ${String(hours % 24).padStart(2, "0")} h`;
  if (hours >= 1) return `expires in ${hours} h`;
  return `expires in ${Math.max(1, Math.floor(left / 60_000))} min`;
}

/** A bar of the Gantt chart, as percentages of the deploy's span. */
export interface Bar {
  left: number;
  width: number;
}

/** Where a task's bar sits within its deploy: from its start to its end (or now). */
export function bar(
  span: { start: number; end: number },
  task: Pick<TaskView, "startedAt" | "finishedAt">,
  now: number,
): Bar | null {
  if (task.startedAt === null) return null;
  const total = Math.max(1, span.end - span.start);
  const start = Date.parse(task.startedAt);
  const end = task.finishedAt === null ? now : Date.parse(task.finishedAt);
  const left = ((start - span.start) / total) * 100;
  // A task too short to see still gets a sliver.
  const width = Math.max(0.8, ((end - start) / total) * 100);
  return { left: clamp(left), width: Math.min(width, 100 - clamp(left)) };
}

function clamp(value: number): number {
  return Math.min(100, Math.max(0, value));
}

/** The time span a deploy's chart covers: its first step's start to its last end (or now). */
export function span(steps: StepView[], now: number): { start: number; end: number } | null {
  const starts = steps.map((s) => Date.parse(s.startedAt));
  if (starts.length === 0) return null;
  const ends = steps.flatMap((s) =>
    s.tasks.map((t) => (t.finishedAt === null ? now : Date.parse(t.finishedAt))),
  );
  return { start: Math.min(...starts), end: Math.max(...starts, ...ends) };
}

/** The log a task writes: a job's run belongs to its deploy, a service's log to the
 *  environment. `null` for tasks without one (`release.remove_environment`). */
export function taskLog(envId: string, deployId: number, task: string): string | null {
  if (task.startsWith("jobs.")) return `${envId}/${deployId}/${task}`;
  if (task.startsWith("services.")) return `${envId}/${task}`;
  return null;
}

/** `1.9 MB`, `840 kB`, `512 B` (decimal units, as Docker prints sizes). */
export function bytes(n: number): string {
  const size = Math.abs(n);
  if (size >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (size >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (size >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}

/** A size change with its sign: `+1.2 MB`, `−340 kB`, `no change`. */
export function sizeChange(n: number | null): string {
  if (n === null) return "";
  if (n === 0) return "no change";
  return n > 0 ? `+${bytes(n)}` : `−${bytes(-n)}`;
}

/** The two builds to compare from the ones ticked, older first; `null` unless exactly two. */
export function comparePair(selected: number[]): [number, number] | null {
  if (selected.length !== 2) return null;
  const [a, b] = [...selected].sort((x, y) => x - y);
  return a === undefined || b === undefined ? null : [a, b];
}

/** A line of a diff between two configurations. */
export interface DiffLine {
  kind: "added" | "removed" | "same";
  text: string;
}

/** The lines of `after` against `before`, as a unified view. */
export function lineDiff(before: string, after: string): DiffLine[] {
  return diffLines(before, after).flatMap((part) => {
    const kind = part.added ? "added" : part.removed ? "removed" : "same";
    return part.value
      .replace(/\n$/, "")
      .split("\n")
      .map((text) => ({ kind, text }) as DiffLine);
  });
}

// A fake of the app for the environment screen's tests: one environment, set up once with a
// failed job, two builds, two configuration versions. Each test overrides what it watches.
import type {
  BuildComparisonView,
  BuildView,
  ConfigVersionView,
  CronJobView,
  CustomWorkflow,
  DeployDetailView,
  DeployView,
  EnvironmentsApi,
  EnvironmentView,
  LogPageView,
} from "../../ipc";

export const env: EnvironmentView = {
  envId: "ted1bc4",
  app: "shop",
  branch: "feature/cart",
  ephemeral: true,
  version: "v1.1",
  runtime: "docker",
  status: "deployed",
  expiresAt: "2099-01-01T00:00:00.000Z",
  createdAt: "2026-11-26T06:00:00.000Z",
};

export const setup: DeployView = {
  id: 1,
  stage: "setup",
  reason: "first setup: the environment was never set up",
  status: "succeeded",
  buildId: 1,
  queuedAt: "2026-11-26T06:00:00.000Z",
  startedAt: "2026-11-26T06:00:00.000Z",
  finishedAt: "2026-11-26T06:00:09.000Z",
  rollback: false,
  outcome: null,
  target: null,
};

export const detail: DeployDetailView = {
  deploy: setup,
  steps: [
    {
      step: 0,
      name: "migrate",
      waitForFinish: true,
      startedAt: "2026-11-26T06:00:00.000Z",
      finishedAt: "2026-11-26T06:00:09.000Z",
      outcome: "succeeded_with_failures",
      tasks: [
        {
          task: "jobs.migrate",
          status: "failed",
          startedAt: "2026-11-26T06:00:00.000Z",
          finishedAt: "2026-11-26T06:00:09.000Z",
          waitReason: null,
          detail: "exited with code 3",
          attempts: 1,
          errorCode: null,
        },
      ],
    },
  ],
};

export const builds: BuildView[] = [2, 1].map((id) => ({
  id,
  gitCommit: id === 2 ? "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d" : null,
  trigger: `deploy ${id} of ted1bc4`,
  status: "succeeded",
  startedAt: "2026-11-26T06:00:00.000Z",
  finishedAt: "2026-11-26T06:00:02.000Z",
  environment: "ted1bc4",
  branch: "main",
  subject: id === 2 ? "Say hello v2" : null,
  live: id === 2,
  images: [
    {
      service: "web",
      tag: `stagecraft/shop/web:${id}`,
      outcome: "built",
      sizeBytes: 2_000_000 + id * 100_000,
      cacheHits: 2,
      reusedFromBuild: null,
      detail: null,
    },
  ],
}));

export const comparison: BuildComparisonView = {
  before: 1,
  after: 2,
  commits: {
    kind: "listed",
    commits: [
      {
        sha: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
        author: "Ada",
        date: "2026-11-26T05:00:00+00:00",
        subject: "Say hello v2",
      },
    ],
    more: false,
  },
  services: [
    {
      service: "web",
      beforeSize: 2_100_000,
      afterSize: 2_200_000,
      sizeChange: 100_000,
      layersAdded: ["COPY www /www (v2)"],
      layersRemoved: [],
      layersChanged: [
        {
          instruction: "COPY conf /etc/web",
          beforeSize: 120,
          afterSize: 120,
          files: {
            added: [],
            removed: [],
            changed: [{ path: "etc/web/site.conf", beforeSize: 120, afterSize: 120 }],
            renamed: [{ from: "etc/web/old.conf", to: "etc/web/new.conf" }],
            more: 0,
          },
        },
      ],
      filesUnknown: null,
      steps: [
        {
          instruction: "COPY www /www",
          beforeMillis: 120,
          afterMillis: 90,
          beforeCached: false,
          afterCached: false,
        },
      ],
      beforeCacheHits: 2,
      afterCacheHits: 2,
      reused: false,
    },
  ],
};

export const history: ConfigVersionView[] = [
  {
    version: "v1.2",
    specific: 2,
    configYaml: "services:\n- name: web\n  replicas: 2\n",
    follows: null,
    warnings: [
      "ted1bc4 configuration:4:1: warning: charts: not carried out on Docker: Helm charts are not run: each `charts.<name>` task is skipped",
    ],
    createdAt: "2026-11-26T07:00:00.000Z",
    parameters: { llm: "gpt-4" },
  },
  {
    version: "v1.1",
    specific: 1,
    configYaml: "services:\n- name: web\n",
    follows: null,
    warnings: [],
    createdAt: "2026-11-26T06:00:00.000Z",
    parameters: {},
  },
];

/** Custom workflows of a configuration that has some; the fake's own has none (no menu). */
export const workflows: CustomWorkflow[] = [
  {
    name: "gitbook-ingest",
    steps: [
      { name: "fetch", tasks: ["jobs.fetch"] },
      { name: "ingest", tasks: ["jobs.ingest", "jobs.index"] },
    ],
  },
  { name: "reindex", steps: [{ name: "reindex", tasks: ["jobs.reindex"] }] },
];

/** A run of the cron job `name`, as the timeline lists it: queued by hand unless told. */
export function cronRun(name: string, extra: Partial<DeployView> = {}): DeployView {
  return {
    ...setup,
    id: 7,
    stage: "cron",
    reason: `cron job \`${name}\` run by hand`,
    status: "queued",
    startedAt: null,
    finishedAt: null,
    target: name,
    ...extra,
  };
}

/** Cron jobs of a configuration that has some; the fake's own has none (no panel). */
export const cronJobs: CronJobView[] = [
  {
    name: "tick",
    schedule: "*/5 * * * *",
    nextRun: "2026-11-26T06:15:00.000Z",
    lastRun: cronRun("tick", {
      id: 2,
      reason: "cron job `tick` (*/5 * * * *): due at 2026-11-26T06:10:00Z",
      status: "failed",
      queuedAt: "2026-11-26T06:10:00.000Z",
      startedAt: "2026-11-26T06:10:00.000Z",
      finishedAt: "2026-11-26T06:10:03.000Z",
      outcome: { outcome: "failed", reason: "jobs.tick failed" },
    }),
  },
  { name: "nightly-report", schedule: "0 3 * * *", nextRun: null, lastRun: null },
];

export function fakeApi(overrides: Partial<EnvironmentsApi> = {}): EnvironmentsApi {
  const logs: LogPageView = {
    lines: [{ seq: 1, at: "2026-11-26T06:00:01.000Z", stderr: true, line: "no such table" }],
    dropped: 0,
  };
  return {
    urlOpen: () => Promise.resolve(),
    apps: () => Promise.resolve([]),
    addApp: () => Promise.reject(new Error("unused")),
    setAppRegistry: () => Promise.reject(new Error("unused")),
    setAppGitops: () => Promise.reject(new Error("unused")),
    app: () => Promise.reject(new Error("unused")),
    refreshApp: () => Promise.reject(new Error("unused")),
    removeApp: () => Promise.reject(new Error("unused")),
    appVariablesFile: () => Promise.reject(new Error("unused")),
    saveAppVariables: () => Promise.reject(new Error("unused")),
    variablesFile: () =>
      Promise.resolve({
        yaml: "envs:\n- key: DB_PASS\n  value: ••••••\n  secret: true\n",
        follows: null,
      }),
    saveVariables: () => Promise.reject(new Error("unused")),
    pickFolder: () => Promise.resolve(null),
    saveFile: () => Promise.resolve(null),
    environments: () =>
      Promise.resolve([{ environment: env, activity: null, urls: [], services: null }]),
    runtimeChoices: () => Promise.resolve([]),
    createEnvironment: () => Promise.reject(new Error("unused")),
    datasets: () => Promise.resolve([]),
    appParameters: () => Promise.resolve([]),
    parameters: () => Promise.resolve([]),
    setParameters: () => Promise.reject(new Error("unused")),
    imports: () => Promise.resolve([]),
    handles: () => Promise.resolve([]),
    addHandles: () => Promise.reject(new Error("unused")),
    removeHandles: () => Promise.reject(new Error("unused")),
    presets: () => Promise.resolve([]),
    savePreset: () => Promise.reject(new Error("unused")),
    orphans: () => Promise.resolve([]),
    adopt: () => Promise.reject(new Error("unused")),
    environment: () => Promise.resolve(env),
    health: () =>
      Promise.resolve([
        { service: "db", readyReplicas: 1, replicas: 1, ready: true, reason: null },
        {
          service: "web",
          readyReplicas: 0,
          replicas: 1,
          ready: false,
          reason: "Exited (1) 2 seconds ago",
        },
      ]),
    nextDeploy: () =>
      Promise.resolve({
        stage: "patch",
        reason: "patch: the configuration is unchanged since the last setup",
        pinnedBuild: null,
      }),
    deploy: () => Promise.resolve({ ...setup, id: 2, stage: "patch", status: "queued" }),
    teardown: () => Promise.resolve({ ...setup, id: 3, stage: "teardown", status: "queued" }),
    pause: () => Promise.resolve({ ...setup, id: 7, stage: "pause", status: "queued" }),
    resume: () => Promise.resolve({ ...setup, id: 8, stage: "resume", status: "queued" }),
    schedule: () =>
      Promise.resolve({
        schedule: null,
        source: "none",
        appDefault: null,
        next: null,
        utcOffset: "+00:00",
      }),
    setSchedule: () => Promise.reject(new Error("unused")),
    appSchedule: () => Promise.resolve(null),
    setAppSchedule: () => Promise.reject(new Error("unused")),
    setup: () => Promise.resolve({ ...setup, id: 5, status: "queued" }),
    workflows: () => Promise.resolve([]),
    runWorkflow: (_envId, name) =>
      Promise.resolve({ ...setup, id: 6, stage: "workflow", status: "queued", target: name }),
    cronJobs: () => Promise.resolve([]),
    runCronJob: (_envId, name) => Promise.resolve(cronRun(name)),
    cancel: () => Promise.resolve([]),
    extend: () => Promise.resolve(env),
    timeline: () => Promise.resolve([setup]),
    deployDetail: () => Promise.resolve(detail),
    followDeploy: (_deployId, _afterSeq, onMessage) => {
      onMessage({ kind: "end" });
      return Promise.resolve(() => {});
    },
    followChanges: () => Promise.resolve(() => {}),
    logResources: () =>
      Promise.resolve([
        { resource: "ted1bc4/services.web", kind: "service", label: "web", lines: 3, dropped: 0 },
        {
          resource: "ted1bc4/1/jobs.migrate",
          kind: "job",
          label: "migrate, deploy 1",
          lines: 1,
          dropped: 0,
        },
        { resource: "builds/1/web", kind: "build", label: "web, build 1", lines: 12, dropped: 0 },
      ]),
    // A shell that echoes each key back and says what it was opened in.
    openTerminal: (_envId, workload, rows, cols, onMessage) => {
      const say = (text: string) => onMessage({ kind: "output", data: btoa(text) });
      say(`${workload} ${rows}x${cols}\r\n# `);
      return Promise.resolve({
        input: (data: string) => say(data),
        drawn: () => {},
        resize: (r: number, c: number) => say(`[${r}x${c}]`),
        close: () => onMessage({ kind: "exit", code: 0, error: null }),
      });
    },
    followLog: (_resource, afterSeq, onPage) => {
      if (afterSeq === 0) onPage(logs);
      return Promise.resolve(() => {});
    },
    builds: () => Promise.resolve(builds),
    compareBuilds: () => Promise.resolve(comparison),
    deployBuild: () => Promise.resolve({ ...setup, id: 4, stage: "patch", status: "queued" }),
    configHistory: () => Promise.resolve(history),
    saveConfig: () => Promise.reject(new Error("unused")),
    variables: () =>
      Promise.resolve([
        {
          workload: "services.web",
          vars: [
            { key: "MODE", value: "dev", secret: false },
            { key: "TOKEN", value: "••••••", secret: true },
          ],
          note: null,
        },
      ]),
    ...overrides,
  };
}

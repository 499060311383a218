// The only module that talks to Tauri. Everything else receives these functions, so it runs
// and is tested without a Tauri window.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AddedAppView,
  ApiOverview,
  IngressPorts,
  IngressView,
  AppDetailView,
  AppRefreshView,
  AppView,
  BuildComparisonView,
  BuildView,
  ChangeMessage,
  CommandName,
  ConfigVersionView,
  CronJobView,
  DatasetView,
  EnvironmentScheduleView,
  PauseScheduleInput,
  PauseScheduleView,
  ScheduleChange,
  CustomWorkflow,
  EditableVariables,
  WorkloadVarsView,
  DeployDetailView,
  DeployView,
  DockerStatus,
  EnvironmentRowView,
  EnvironmentView,
  ErrorCode,
  FollowMessage,
  HandleView,
  ImportView,
  IpcError,
  LogPageView,
  LogResourceView,
  NextDeploy,
  TerminalMessage,
  RemovedAppView,
  RuntimeChoice,
  OrphanView,
  ParameterView,
  PresetOptions,
  PresetView,
  NewToken,
  ServiceHealthView,
  SystemReport,
} from "./bindings";

export type * from "./bindings";

/** An error as the UI shows it: a command's own error, or a failure of the IPC itself. */
export interface UiError {
  code: ErrorCode | "IPC_FAILURE";
  message: string;
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** Normalises whatever a rejected `invoke` gave: commands reject with an `IpcError`, Tauri
 *  itself (a command refused by the capabilities, a lost window) with a bare string. */
export function toUiError(raw: unknown): UiError {
  if (isIpcError(raw)) return raw;
  if (raw instanceof Error) return { code: "IPC_FAILURE", message: raw.message };
  return { code: "IPC_FAILURE", message: String(raw) };
}

async function call<T>(command: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toUiError(raw);
  }
}

/** What the System screen needs; the real one calls the app, tests pass their own. */
export interface SystemApi {
  systemReport(): Promise<SystemReport>;
  dockerStatus(): Promise<DockerStatus>;
  /** Opens the app's newest log file, or (`reveal`) shows it in its folder. */
  logOpen(reveal: boolean): Promise<void>;
  /** The HTTP API of `stagecraft serve`: its default port, tokens, last requests, refusals. */
  apiOverview(): Promise<ApiOverview>;
  /** The local ingress: its port, who serves it, whether `*.localhost` resolves here. */
  ingressOverview(): Promise<IngressView>;
  /** Saves the ingress's ports for the data folder (each process's from its next start). */
  ingressPortsSet(ports: IngressPorts): Promise<IngressView>;
  /** Makes an API token; the answer is the only time it is shown. */
  apiTokenCreate(name: string): Promise<NewToken>;
  apiTokenRevoke(name: string): Promise<void>;
}

export const systemApi: SystemApi = {
  systemReport: () => call<SystemReport>("system_report"),
  dockerStatus: () => call<DockerStatus>("docker_status"),
  logOpen: (reveal) => call("log_open", { reveal }),
  apiOverview: () => call<ApiOverview>("api_overview"),
  ingressOverview: () => call<IngressView>("ingress_overview"),
  ingressPortsSet: (ports) => call<IngressView>("ingress_ports_set", { ports }),
  apiTokenCreate: (name) => call<NewToken>("api_token_create", { name }),
  apiTokenRevoke: (name) => call("api_token_revoke", { name }),
};

/** What the create form sends; `ttlHours` only for an ephemeral environment (null: the default). */
export interface CreateEnvironmentRequest {
  app: string;
  branch: string | null;
  template: string;
  runtime: string;
  ttlHours: number | null;
  /** The branch need not exist: its deploys build the working tree. */
  workingTree?: boolean;
  /** Values of the template's parameters; those left out take their default. */
  parameters?: Record<string, string>;
  /** A dataset its volumes start from (its first setup skips the jobs it covers). */
  dataset?: string | null;
}

/** Apps, environments, deploys and logs; the real one calls the app, tests pass their own. */
/** An open terminal: keys in, its size, and closing it (which stops its shell). */
export interface TerminalHandle {
  input(data: string): void;
  /** The terminal drew `bytes` more of the output it was sent: more may come. */
  drawn(bytes: number): void;
  resize(rows: number, cols: number): void;
  close(): void;
}

export interface EnvironmentsApi {
  /** Opens an environment's URL in the system's browser. */
  urlOpen(url: string): Promise<void>;
  apps(): Promise<AppView[]>;
  /** Adds the app; its files' warnings (a compose import's leftovers) come back with it. */
  addApp(path: string): Promise<AddedAppView>;
  /** Names the registry the app's built images are pushed to (null clears it), and whether
   * clusters pull them with the user's Docker login. A name Docker would refuse rejects with
   * what to write instead. */
  setAppRegistry(app: string, registry: string | null, shareLogin: boolean): Promise<AppView>;
  /** Whether the app's environments follow the Release files of their branch (GitOps). */
  setAppGitops(app: string, on: boolean): Promise<AppView>;
  /** The app, its newest configuration version and its environments (torn-down ones too). */
  app(app: string): Promise<AppDetailView>;
  /** Reads the app's Release files again beside its newest version (secrets masked);
   *  `keep` makes a change its next version. Refused with GitOps. */
  refreshApp(app: string, keep: boolean): Promise<AppRefreshView>;
  /** Removes the app, its images and its torn-down environments' history; refused, saying
   *  which, while an environment of it is not torn down. */
  removeApp(app: string): Promise<RemovedAppView>;
  /** The app's default variables file for its editor, secrets masked. */
  appVariablesFile(app: string): Promise<EditableVariables>;
  /** Replaces it (a secret left masked keeps its value): the app's next version, which
   *  environments created from then on copy. */
  saveAppVariables(app: string, yaml: string): Promise<AppDetailView>;
  /** The platform's folder dialog; null when the user cancels. */
  pickFolder(): Promise<string | null>;
  /** Saves `text` where the user says in the platform's save dialog (`name` suggested); the
   *  path saved to, or null when the user cancels. */
  saveFile(name: string, text: string): Promise<string | null>;
  /** Each environment with what it is doing now and its services' URLs. */
  environments(): Promise<EnvironmentRowView[]>;
  /** The runtimes an environment may be created on, the unavailable ones with why. */
  runtimeChoices(): Promise<RuntimeChoice[]>;
  createEnvironment(request: CreateEnvironmentRequest): Promise<EnvironmentView>;
  /** Every dataset (`stagecraft datasets create`): what a new environment may start from. */
  datasets(): Promise<DatasetView[]>;
  /** The parameters an environment of the app made from `template` (an
   *  `environment_templates` entry) is created with. */
  appParameters(app: string, template: string): Promise<ParameterView[]>;
  /** The template's parameters with the values the environment was given. */
  parameters(envId: string): Promise<ParameterView[]>;
  /** The app's environment handles, by pool, with the environment holding each. */
  handles(app: string): Promise<HandleView[]>;
  /** Adds names (and with `count`, `<pool>1`…`<pool><count>`) to a pool of the app. */
  addHandles(
    app: string,
    pool: string,
    names: string[],
    count: number | null,
  ): Promise<HandleView[]>;
  /** Removes names from a pool; refused while one is held. */
  removeHandles(app: string, pool: string, names: string[]): Promise<HandleView[]>;
  /** Every saved preset of create options. */
  presets(): Promise<PresetView[]>;
  /** Saves create options under a name (replacing one of that name). */
  savePreset(name: string, app: string, options: PresetOptions): Promise<PresetView>;
  /** The apps the environment's template imports: the branch each runs, why, its services
   *  and those it leaves out. */
  imports(envId: string): Promise<ImportView[]>;
  /** Gives parameters values (`set`) and takes some back (`unset`: their default again), as
   *  a new configuration version; refused, naming them, for unknown names or a required one
   *  left without a value. */
  setParameters(
    envId: string,
    set: Record<string, string>,
    unset: string[],
  ): Promise<ParameterView[]>;
  /** Environments a runtime holds by their labels that no record here names (the database
   *  was made anew); a runtime out of reach is skipped. */
  orphans(): Promise<OrphanView[]>;
  /** Brings one back: `created`, everything the runtime holds of it in its ledger. */
  adopt(envId: string): Promise<EnvironmentView>;
  environment(envId: string): Promise<EnvironmentView>;
  /** Each service of the environment as its runtime reports it now (ready, replicas, why not). */
  health(envId: string): Promise<ServiceHealthView[]>;
  nextDeploy(envId: string): Promise<NextDeploy>;
  /** Queues the deploy and returns at once; the timeline shows how it goes. */
  deploy(envId: string): Promise<DeployView>;
  teardown(envId: string): Promise<DeployView>;
  /** Queues a pause: its containers stopped and kept, everything else left; returns at once. */
  pause(envId: string): Promise<DeployView>;
  /** Queues a resume: its services started again in the setup workflow's order, no jobs. */
  resume(envId: string): Promise<DeployView>;
  /** The environment's pausing schedule (its own, its app's default, or off), and its next
   *  time. */
  schedule(envId: string): Promise<EnvironmentScheduleView>;
  /** Sets the environment's own schedule, turns schedules off for it, or hands it back to its
   *  app's default. Refused (with the field) when a time or the days cannot be read. */
  setSchedule(envId: string, change: ScheduleChange): Promise<EnvironmentScheduleView>;
  /** The app's default pausing schedule for its environments, if any. */
  appSchedule(app: string): Promise<PauseScheduleView | null>;
  /** Sets (null: removes) the app's default pausing schedule. */
  setAppSchedule(
    app: string,
    schedule: PauseScheduleInput | null,
  ): Promise<PauseScheduleView | null>;
  /** Queues a setup whatever Deploy would run (to repair drift); returns at once. */
  setup(envId: string): Promise<DeployView>;
  /** The custom workflows of the environment's configuration (its workflows other than setup,
   *  patch and teardown), in the template's order; none when it has none. */
  workflows(envId: string): Promise<CustomWorkflow[]>;
  /** Queues the custom workflow `name` and returns at once; it runs with the images and the
   *  configuration the environment runs. Refused when the environment was never set up, or
   *  its configuration has no such workflow. */
  runWorkflow(envId: string, name: string): Promise<DeployView>;
  /** The cron jobs of the environment's configuration (Release's `cron_jobs`), each with its
   *  schedule, when Stagecraft's clock runs it next and its last run; none when it has none. */
  cronJobs(envId: string): Promise<CronJobView[]>;
  /** Runs the cron job `name` once now, whatever its schedule, and returns at once (a deploy
   *  of stage `cron`, which changes nothing of the environment's status). Refused when the
   *  environment was never set up, or its configuration has no such cron job. */
  runCronJob(envId: string, name: string): Promise<DeployView>;
  /** Cancels the running deploy and the queued ones; gives them. */
  cancel(envId: string): Promise<DeployView[]>;
  /** Sets an ephemeral environment to expire `hours` from now (null: the most, 7 days). */
  extend(envId: string, hours: number | null): Promise<EnvironmentView>;
  timeline(envId: string): Promise<DeployView[]>;
  deployDetail(deployId: number): Promise<DeployDetailView>;
  /** The deploy's events after `afterSeq`, then its new ones live, then `end`; resolves to
   *  a function that stops the stream. */
  followDeploy(
    deployId: number,
    afterSeq: number,
    onMessage: (message: FollowMessage) => void,
  ): Promise<() => void>;
  /** What changes from now on (environments, their deploys, notices), whichever process
   *  changed it; resolves to a function that stops the stream. Subscribe before reading the
   *  state the changes apply to, so nothing falls between. */
  followChanges(onMessage: (message: ChangeMessage) => void): Promise<() => void>;
  /** A kept log's lines after `afterSeq`, then its new ones live, in pages; resolves to a
   *  function that stops the stream. */
  followLog(
    resource: string,
    afterSeq: number,
    onPage: (page: LogPageView) => void,
  ): Promise<() => void>;
  /** The environment's kept logs: services, job runs, builds. */
  logResources(envId: string): Promise<LogResourceView[]>;
  /** A shell (bash, else sh) in a running container of `workload` (`web`, or `jobs.<name>`
   *  while it runs), in a terminal of `rows`×`cols`; its output and end come to `onMessage`.
   *  Closing the handle stops the shell and what it started. */
  openTerminal(
    envId: string,
    workload: string,
    rows: number,
    cols: number,
    onMessage: (message: TerminalMessage) => void,
  ): Promise<TerminalHandle>;
  /** The app's builds, newest first; `live` marks the one `envId` runs. */
  builds(app: string, envId: string | null): Promise<BuildView[]>;
  compareBuilds(before: number, after: number): Promise<BuildComparisonView>;
  /** Deploys an earlier build's images without building (a rollback); returns at once. */
  deployBuild(envId: string, buildId: number): Promise<DeployView>;
  /** Every saved version of the environment's configuration, newest first. */
  configHistory(envId: string): Promise<ConfigVersionView[]>;
  /** Validates and saves the YAML as the next version; a mistake rejects with its location. */
  saveConfig(envId: string, yaml: string): Promise<ConfigVersionView>;
  variables(envId: string): Promise<WorkloadVarsView[]>;
  /** The environment's variables file for its editor, secrets masked. */
  variablesFile(envId: string): Promise<EditableVariables>;
  /** Replaces it (a secret left masked keeps its value): the configuration's next version. */
  saveVariables(envId: string, yaml: string): Promise<ConfigVersionView>;
}

export const environmentsApi: EnvironmentsApi = {
  urlOpen: (url) => call("url_open", { url }),
  apps: () => call("apps_list"),
  addApp: (path) => call("app_add", { path }),
  setAppRegistry: (app, registry, shareLogin) =>
    call("app_set_registry", { app, registry, shareLogin }),
  setAppGitops: (app, on) => call("app_set_gitops", { app, on }),
  app: (app) => call("app_get", { app }),
  refreshApp: (app, keep) => call("app_refresh", { app, keep }),
  removeApp: (app) => call("app_remove", { app }),
  appVariablesFile: (app) => call("app_vars_file", { app }),
  saveAppVariables: (app, yaml) => call("app_vars_set", { app, yaml }),
  pickFolder: () => call("folder_pick"),
  saveFile: (name, text) => call("file_save", { name, text }),
  environments: () => call("environments_list"),
  runtimeChoices: () => call("runtime_choices"),
  createEnvironment: (request) => call("environment_create", { ...request }),
  datasets: () => call("datasets_list"),
  appParameters: (app, template) => call("app_parameters", { app, template }),
  parameters: (envId) => call("environment_parameters", { envId }),
  setParameters: (envId, set, unset) => call("environment_parameters_set", { envId, set, unset }),
  imports: (envId) => call("environment_imports", { envId }),
  handles: (app) => call("app_handles", { app }),
  addHandles: (app, pool, names, count) => call("app_handles_add", { app, pool, names, count }),
  removeHandles: (app, pool, names) => call("app_handles_remove", { app, pool, names }),
  presets: () => call("presets_list"),
  savePreset: (name, app, options) => call("preset_save", { name, app, options }),
  orphans: () => call("environments_orphaned"),
  adopt: (envId) => call("environment_adopt", { envId }),
  environment: (envId) => call("environment_get", { envId }),
  health: (envId) => call("environment_health", { envId }),
  nextDeploy: (envId) => call("next_deploy", { envId }),
  deploy: (envId) => call("deploy_start", { envId }),
  teardown: (envId) => call("teardown_start", { envId }),
  pause: (envId) => call("pause_start", { envId }),
  resume: (envId) => call("resume_start", { envId }),
  schedule: (envId) => call("schedule_get", { envId }),
  setSchedule: (envId, change) => call("schedule_set", { envId, change }),
  appSchedule: (app) => call("app_schedule_get", { app }),
  setAppSchedule: (app, schedule) => call("app_schedule_set", { app, schedule }),
  setup: (envId) => call("setup_start", { envId }),
  workflows: (envId) => call("workflows_list", { envId }),
  runWorkflow: (envId, name) => call("workflow_start", { envId, name }),
  cronJobs: (envId) => call("cron_jobs_list", { envId }),
  runCronJob: (envId, name) => call("cron_run", { envId, name }),
  cancel: (envId) => call("deploy_cancel", { envId }),
  extend: (envId, hours) => call("environment_extend", { envId, hours }),
  timeline: (envId) => call("timeline", { envId }),
  deployDetail: (deployId) => call("deploy_detail", { deployId }),
  followDeploy: async (deployId, afterSeq, onMessage) => {
    const channel = new Channel<FollowMessage>();
    channel.onmessage = onMessage;
    const id = await call<number>("deploy_follow", { deployId, afterSeq, onMessage: channel });
    return () => {
      // A stream that ended already is no error; a lost window has nobody to tell.
      call("stream_stop", { id }).catch(() => {});
    };
  },
  followChanges: async (onMessage) => {
    const channel = new Channel<ChangeMessage>();
    channel.onmessage = onMessage;
    const id = await call<number>("changes_follow", { onChange: channel });
    return () => {
      call("stream_stop", { id }).catch(() => {});
    };
  },
  logResources: (envId) => call("log_resources", { envId }),
  openTerminal: async (envId, workload, rows, cols, onMessage) => {
    const channel = new Channel<TerminalMessage>();
    channel.onmessage = onMessage;
    const id = await call<number>("terminal_open", {
      envId,
      workload,
      replica: null,
      rows,
      cols,
      onMessage: channel,
    });
    // A terminal whose shell ended takes no keys; a lost window has nobody to tell.
    const quietly = (command: CommandName, args: Record<string, unknown>) =>
      call(command, args).catch(() => {});
    // Keys go in the order typed: one call at a time, those typed meanwhile sent together.
    let queued = "";
    let sending = false;
    const send = async () => {
      if (sending) return;
      sending = true;
      while (queued !== "") {
        const data = queued;
        queued = "";
        await quietly("terminal_input", { id, data });
      }
      sending = false;
    };
    // Only the newest size matters: one call at a time, the last size asked for sent last.
    let size: { rows: number; cols: number } | undefined;
    let resizing = false;
    const resize = async () => {
      if (resizing) return;
      resizing = true;
      while (size !== undefined) {
        const next = size;
        size = undefined;
        await quietly("terminal_resize", { id, ...next });
      }
      resizing = false;
    };
    return {
      input: (data) => {
        queued += data;
        void send();
      },
      drawn: (bytes) => void quietly("terminal_ack", { id, bytes }),
      resize: (rows, cols) => {
        size = { rows, cols };
        void resize();
      },
      close: () => void quietly("terminal_close", { id }),
    };
  },
  followLog: async (resource, afterSeq, onPage) => {
    const channel = new Channel<LogPageView>();
    channel.onmessage = onPage;
    const id = await call<number>("log_follow", { resource, afterSeq, onPage: channel });
    return () => {
      call("stream_stop", { id }).catch(() => {});
    };
  },
  builds: (app, envId) => call("builds_list", { app, envId }),
  compareBuilds: (before, after) => call("builds_compare", { before, after }),
  deployBuild: (envId, buildId) => call("deploy_build_start", { envId, buildId }),
  configHistory: (envId) => call("config_history", { envId }),
  saveConfig: (envId, yaml) => call("config_set", { envId, yaml }),
  variables: (envId) => call("variables_get", { envId }),
  variablesFile: (envId) => call("environment_vars_file", { envId }),
  saveVariables: (envId, yaml) => call("environment_vars_set", { envId, yaml }),
};

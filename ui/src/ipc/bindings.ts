// Generated from the Rust types by `STAGECRAFT_BLESS=1 cargo test -p stagecraft-desktop bindings`. Do not edit.

/** The commands the window may call (`src-tauri/src/command_list.rs`). */
export type CommandName = "system_report" | "log_open" | "url_open" | "ingress_overview" | "ingress_ports_set" | "docker_status" | "apps_list" | "app_add" | "app_set_registry" | "app_set_gitops" | "app_get" | "app_refresh" | "app_remove" | "app_vars_file" | "app_vars_set" | "environment_vars_file" | "environment_vars_set" | "folder_pick" | "file_save" | "environments_list" | "environment_create" | "datasets_list" | "api_overview" | "api_token_create" | "api_token_revoke" | "app_parameters" | "environment_parameters" | "environment_parameters_set" | "environment_imports" | "app_handles" | "app_handles_add" | "app_handles_remove" | "presets_list" | "preset_save" | "environments_orphaned" | "environment_adopt" | "runtime_choices" | "environment_get" | "environment_health" | "next_deploy" | "deploy_start" | "teardown_start" | "setup_start" | "pause_start" | "resume_start" | "schedule_get" | "schedule_set" | "app_schedule_get" | "app_schedule_set" | "workflows_list" | "workflow_start" | "cron_jobs_list" | "cron_run" | "deploy_cancel" | "environment_extend" | "timeline" | "deploy_follow" | "changes_follow" | "stream_stop" | "log_follow" | "terminal_open" | "terminal_input" | "terminal_ack" | "terminal_resize" | "terminal_close" | "deploy_detail" | "log_resources" | "builds_list" | "builds_compare" | "deploy_build_start" | "config_history" | "config_set" | "variables_get";

/**
 * The only error a command returns. The UI switches on `code`; `message` is for people and
 * says what to do.
 */
export type IpcError = { code: ErrorCode, message: string, };

/**
 * The stable identity of an error across IPC and in the CLI's JSON output. The UI switches on
 * it; the message is for people. Never rename a code: add one.
 */
export type ErrorCode = "DATA_DIR_UNAVAILABLE" | "STORE_UNAVAILABLE" | "STORE_NEWER_SCHEMA" | "STORE_QUERY" | "DOCKER_UNREACHABLE" | "DOCKER_TIMEOUT" | "DOCKER_ENDPOINT" | "DOCKER_API" | "KUBECONFIG_INVALID" | "NOT_A_FOLDER" | "FILE_READ" | "FILE_WRITE" | "FILE_EXISTS" | "INVALID_FILES" | "NOT_FOUND" | "CONFLICT" | "SECRET_KEY" | "SECRET_SEALED" | "RUNTIME_FAILED" | "INVALID_REQUEST" | "KUBE_CONTEXT_MISSING" | "KUBE_UNREACHABLE" | "KUBE_REFUSED" | "KUBE_FAILED" | "GIT_FAILED" | "BUILD_FAILED" | "CANCELLED" | "DEPLOY_FAILED" | "DEGRADED" | "UNAUTHORIZED" | "REQUEST_TOO_LARGE" | "REQUEST_TIMEOUT" | "RATE_LIMITED";

/**
 * Everything on the System screen that needs no network: it answers in milliseconds.
 */
export type SystemReport = { 
/**
 * This build of Stagecraft.
 */
version: string, dataDir: string, dataDirSource: DataDirOrigin, 
/**
 * Where the key that seals secret values is kept: "the OS keychain (…)" or a file.
 */
secretKey: string, 
/**
 * The folder of the desktop app's log files (one a day, the last seven kept).
 */
logDir: string, 
/**
 * Today's log file, or the newest there is; none before the app first wrote one (the
 * command line logs to standard error only).
 */
logFile: string | null, database: DatabaseReport, 
/**
 * The datasets (`stagecraft datasets`) and the space their archives take.
 */
datasets: DatasetsSpace, kubernetes: KubernetesReport, };

export type DataDirOrigin = "env" | "platform" | "explicit";

export type DatabaseReport = { path: string, 
/**
 * The highest migration applied to the file.
 */
schemaVersion: number, 
/**
 * The highest migration this build knows; equal to `schema_version` once open.
 */
latestSchemaVersion: number, 
/**
 * RFC 3339, UTC.
 */
createdAt: string, createdByVersion: string, };

export type KubernetesReport = { "state": "found", files: Array<string>, currentContext: string | null, contexts: Array<KubeContextReport>, } | { "state": "absent", searched: Array<string>, } | { "state": "invalid", code: ErrorCode, message: string, };

export type KubeContextReport = { name: string, cluster: string, server: string | null, namespace: string | null, 
/**
 * What made the cluster: how images Stagecraft builds will reach it.
 */
madeBy: ClusterMadeBy, };

/**
 * The tool that made a cluster, as its kubeconfig entries tell.
 */
export type ClusterMadeBy = "kind" | "minikube" | "k3d" | "dockerDesktop" | "other";

/**
 * Whether a Docker engine answers, and who it is; or the exact error and what to do.
 */
export type DockerStatus = { "state": "reachable", endpoint: string, endpointSource: EndpointSource, platform: string | null, version: string, apiVersion: string, os: string, arch: string, } | { "state": "unreachable", endpoint: string, endpointSource: EndpointSource, code: ErrorCode, message: string, };

export type EndpointSource = "dockerHost" | "dockerContext" | "platformDefault" | "dockerDesktop" | "colima" | "podman" | "explicit";

export type AppView = { name: string, repoPath: string, trackingBranch: string, autoDeploy: boolean, 
/**
 * Where its built images are pushed for a cluster that pulls them (`host[:port]/path`).
 */
imageRegistry: string | null, 
/**
 * Clusters pull its built images with the user's Docker login for the registry.
 */
shareRegistryLogin: boolean, 
/**
 * Its environments follow the Release files of their branch (GitOps).
 */
gitops: boolean, };

/**
 * An app just added, with what its files did not say well: each warning located
 * (`docker-compose.yml:14:5: warning: services.web.build.ssh: …`).
 */
export type AddedAppView = { app: AppView, warnings: Array<string>, };

/**
 * An app with its newest configuration version and its environments (torn-down ones too).
 */
export type AppDetailView = { app: AppView, 
/**
 * Its newest default configuration version: environments created now copy it.
 */
version: number, environments: Array<EnvironmentView>, };

/**
 * The app's Release files read again, beside its newest version; secrets masked.
 */
export type AppRefreshView = { app: string, fromVersion: number, 
/**
 * The version they became, when they changed and were kept.
 */
keptVersion: number | null, changed: boolean, templateBefore: string, templateAfter: string, variablesBefore: string, variablesAfter: string, 
/**
 * A secret's value changed (the masks hide it).
 */
secretsChanged: boolean, };

/**
 * An app removed, and what went with it.
 */
export type RemovedAppView = { app: string, 
/**
 * Its torn-down environments, whose history went with it.
 */
environments: Array<string>, 
/**
 * The image tags its builds made, removed from the Docker engine.
 */
images: Array<string>, };

/**
 * One service of an environment as its runtime reports it now.
 */
export type ServiceHealthView = { 
/**
 * Its name, without `services.`.
 */
service: string, readyReplicas: number, 
/**
 * The replicas it should have; 0 when nothing of it runs.
 */
replicas: number, 
/**
 * Every replica it should have is ready (and it has some).
 */
ready: boolean, 
/**
 * Why not, in the runtime's words (`Exited (1) 2 seconds ago`, `not running`).
 */
reason: string | null, };

/**
 * An environment a runtime holds by its labels and no record here names (the database was
 * made anew): offered for adoption.
 */
export type OrphanView = { envId: string, app: string, runtime: string, 
/**
 * Its app is added here; it must be, to adopt the environment.
 */
appAdded: boolean, };

/**
 * The commits from one build to the other, newest first; or why they are not known.
 */
export type CommitsBetweenView = { "kind": "listed", commits: Array<CommitView>, 
/**
 * Only the newest 50 are listed.
 */
more: boolean, } | { "kind": "unknown", reason: string, };

export type CommitView = { sha: string, author: string, date: string, subject: string, };

/**
 * A log kept for an environment, for the Logs tab.
 */
export type LogResourceView = { 
/**
 * What `follow_log` and `logs` take.
 */
resource: string, 
/**
 * `service`, `job` (one run) or `build` (one image's build output).
 */
kind: string, 
/**
 * `web`; `migrate, deploy 3`; `web, build 2`.
 */
label: string, lines: number, dropped: number, };

/**
 * What a followed deploy sends: its events in `seq` order, then `end` once it has ended.
 */
export type FollowMessage = { "kind": "event", seq: number, at: string, 
/**
 * The engine's event, as the store keeps it.
 */
event: DeployEvent, 
/**
 * The event as a line of progress, in the words the command prints; `null` for the
 * events too small to show.
 */
line: string | null, } | { "kind": "end" };

/**
 * What the change feed sends: each change, or `resync` when the window fell behind and
 * should read everything again.
 */
export type ChangeMessage = { "kind": "change", change: Change, } | { "kind": "resync" };

/**
 * What a terminal sends the window: its output, then how its shell ended.
 */
export type TerminalMessage = { "kind": "output", data: string, } | { "kind": "exit", code: number | null, error: string | null, };

/**
 * Something the screens show changed.
 */
export type Change = { "kind": "environmentCreated", envId: string, } | { "kind": "environmentChanged", envId: string, status: EnvironmentStatusView, } | { "kind": "deployQueued", envId: string, deployId: number, stage: StageView, } | { "kind": "deployStarted", envId: string, deployId: number, } | { "kind": "deployProgressed", envId: string, deployId: number, } | { "kind": "deployEnded", envId: string, deployId: number, stage: StageView, status: DeployStatusView, } | { "kind": "noticeRaised", envId: string, 
/**
 * `expiry_warning`.
 */
notice: string, message: string, };

/**
 * Everything a deploy tells as it runs, in order. Serialised with a `type` tag; the store
 * gives each one a `seq`, so a window that reloads replays and then follows without a gap.
 */
export type DeployEvent = { "type": "stage_started", stage: Stage, reason: string, } | { "type": "infrastructure_prepared" } | { "type": "volume_seeded", dataset: string, service: string, 
/**
 * Where the service mounts it.
 */
volume: string, bytes: bigint, } | { "type": "step_started", step: number, name: string, tasks: Array<string>, wait_for_finish: boolean, } | { "type": "task_started", step: number, task: string, 
/**
 * The longest it may run, when it has a limit: the window counts down what is left
 * while it waits. Absent from events kept before it was told.
 */
limit_secs?: number, } | { "type": "task_waiting", step: number, task: string, reason: string, } | { "type": "task_retrying", step: number, task: string, attempt: number, of: number, error: string, retry_in_ms: number, } | { "type": "task_attempt_started", step: number, task: string, attempt: number, } | { "type": "task_finished", step: number, task: string, outcome: TaskOutcome, } | { "type": "step_finished", step: number, outcome: StepOutcome, } | { "type": "service_unavailable", step: number, task: string, millis: number, reason: string, } | { "type": "service_switched", step: number, task: string, millis: number, detail: string, } | { "type": "steps_awaited", steps: Array<number>, } | { "type": "environment_removed" } | { "type": "stage_finished", stage: Stage, outcome: DeployOutcome, } | { "type": "service_build_reused", service: string, reason: string, } | { "type": "service_build_started", service: string, } | { "type": "service_build_step", service: string, instruction: string, cached: boolean, } | { "type": "service_built", service: string, image_id: string, size_bytes: number, cache_hits: number, } | { "type": "service_build_failed", service: string, error: string, } | { "type": "deploy_interrupted", reason: string, };

/**
 * The four stages of an environment's life (reference §4.1).
 */
export type Stage = "build" | "setup" | "patch" | "teardown" | "workflow" | "cron" | "pause" | "resume";

/**
 * A custom workflow as the window and the command line list it.
 */
export type CustomWorkflow = { name: string, 
/**
 * Its steps in order, each with the tasks it runs together (`jobs.ingest`).
 */
steps: Array<WorkflowStep>, };

/**
 * One step of a custom workflow: its tasks run together.
 */
export type WorkflowStep = { name: string, tasks: Array<string>, };

/**
 * A cron job as the window and the command line list it.
 */
export type CronJobView = { name: string, schedule: string, 
/**
 * When it runs next (RFC 3339, UTC); none on a runtime that schedules it itself, or while
 * the environment is not deployed.
 */
nextRun: string | null, 
/**
 * Its last run, by the clock or by hand.
 */
lastRun: DeployView | null, };

/**
 * The HTTP API as the window shows it: where `stagecraft serve` answers by default, the
 * tokens, the last requests and how many were refused.
 */
export type ApiOverview = { defaultPort: number, tokens: Array<TokenView>, requests: Array<ApiRequestView>, refused: number, };

/**
 * An environment's service behind a route.
 */
export type IngressClaim = { envId: string, service: string, };

/**
 * A hostname and path claimed twice: by two environments (a `hostnames` pattern without
 * `${env_id}`, say), routed to the one made first, or by two rules of one environment,
 * routed to the first; the other service is not reached there.
 */
export type IngressConflict = { host: string, path: string, 
/**
 * Who gets its requests.
 */
kept: IngressClaim, 
/**
 * Who claims it too, and gets none of them.
 */
dropped: IngressClaim, };

/**
 * The local ingress as the System screen shows it.
 */
export type IngressView = { 
/**
 * The port this process's ingress listens on (or would).
 */
port: number, status: IngressStatus, 
/**
 * Why it is off, and what to do.
 */
problem: string | null, 
/**
 * Whether this machine's resolver sends `*.localhost` names to the loopback address
 * (browsers do by themselves; `curl` and other programs need the resolver to).
 */
resolvesLocalhost: boolean, 
/**
 * This process's HTTPS port, when HTTPS is on.
 */
httpsPort: number | null, 
/**
 * The data folder's saved ports (the defaults when none were saved): the ingress's from
 * its next start.
 */
saved: IngressPorts, 
/**
 * The environment variables that set this process's ports over the saved ones.
 */
setByEnv: Array<string>, 
/**
 * The certificate of the data folder's authority, once made (HTTPS's first use): the
 * file to trust.
 */
authority: string | null, 
/**
 * Hostnames and paths claimed twice (by two environments, or by two rules of one): the
 * first claim keeps it, the older environment's.
 */
conflicts: Array<IngressConflict>, };

/**
 * The local ingress's ports: where every environment's services answer at their `*.localhost`
 * hostnames, and HTTPS's when it is on.
 */
export type IngressPorts = { port: number, 
/**
 * None: HTTPS off.
 */
httpsPort: number | null, };

/**
 * Whether this process serves the ingress.
 */
export type IngressStatus = "serving" | "elsewhere" | "off" | "starting";

/**
 * One request the API answered.
 */
export type ApiRequestView = { at: string, method: string, path: string, status: number, millis: number, 
/**
 * The token's name; none when refused.
 */
token: string | null, };

/**
 * A token as lists show it: never the token itself.
 */
export type TokenView = { name: string, 
/**
 * Its first characters.
 */
prefix: string, createdAt: string, lastUsedAt: string | null, revokedAt: string | null, };

/**
 * A token just made: the only time it is shown.
 */
export type NewToken = { name: string, token: string, };

export type DatasetsSpace = { count: number, bytes: number, 
/**
 * Where their archives are kept.
 */
dir: string, };

/**
 * A dataset as the window and the command show it.
 */
export type DatasetView = { name: string, app: string, 
/**
 * The environment it was taken from.
 */
environment: string, 
/**
 * Where its volumes are kept: `docker` (archives in the data folder) or the `kube:`
 * runtime whose cluster keeps its VolumeSnapshots; environments on that runtime use it.
 */
runtime: string, volumes: Array<DatasetVolumeView>, 
/**
 * The setup jobs that had run there: an environment seeded from it skips them.
 */
jobs: Array<string>, commit: string | null, bytes: number, takenAt: string, 
/**
 * Whether its environment was paused when it was taken (its files at rest).
 */
paused: boolean, };

export type DatasetVolumeView = { service: string, volume: string, bytes: number, };

/**
 * An environment's pausing schedule, where it comes from, and its next time.
 */
export type EnvironmentScheduleView = { schedule: PauseScheduleView | null, source: ScheduleSource, 
/**
 * The app's default, shown beside an environment's own.
 */
appDefault: PauseScheduleView | null, next: ScheduledTime | null, 
/**
 * The machine's UTC offset now (`+01:00`): the schedule's times are its local times.
 */
utcOffset: string, };

/**
 * A schedule as the window and the command show it.
 */
export type PauseScheduleView = { 
/**
 * `HH:MM`, the machine's local time.
 */
pauseAt: string | null, resumeAt: string | null, 
/**
 * The weekdays, `mon` … `sun`, in order.
 */
days: Array<string>, 
/**
 * As a person reads it: `pause 19:00, resume 08:00, mon-fri`.
 */
summary: string, };

/**
 * A schedule as a person writes it (the form, the command's flags).
 */
export type PauseScheduleInput = { pauseAt: string | null, resumeAt: string | null, 
/**
 * `mon-fri`, `mon,wed,fri`, `daily`, `weekends`…
 */
days: string, };

/**
 * What to do with an environment's schedule.
 */
export type ScheduleChange = { "kind": "set" } & PauseScheduleInput | { "kind": "off" } | { "kind": "appDefault" };

/**
 * Where an environment's schedule comes from.
 */
export type ScheduleSource = "environment" | "app" | "off" | "none";

/**
 * What a schedule does at one of its times.
 */
export type ScheduledAction = "pause" | "resume";

/**
 * The schedule's next time, and what it does then.
 */
export type ScheduledTime = { action: ScheduledAction, 
/**
 * RFC 3339, UTC.
 */
at: string, };

/**
 * What kind of failure a runtime met: what the user can do about it follows from it (start
 * the engine, fix a permission, wait for a conflict to clear), whichever runtime it was.
 */
export type RuntimeErrorKind = "unreachable" | "refused" | "not_found" | "conflict" | "timed_out" | "failed";

/**
 * A variables file as its editor shows it.
 */
export type EditableVariables = { 
/**
 * The file, each secret's value shown as [`crate::MASK`].
 */
yaml: string, 
/**
 * With GitOps, where it is edited instead (`.release/application_template.yaml on branch
 * main`: the variables file beside it); null when it is edited here.
 */
follows: string | null, };

/**
 * How a task ended.
 */
export type TaskOutcome = { "outcome": "succeeded" } | { "outcome": "failed", error: string, halts: boolean, 
/**
 * What kind of runtime failure it was, when the runtime said: what the user can do.
 */
kind?: RuntimeErrorKind, } | { "outcome": "timed_out", after_secs: number, halts: boolean, } | { "outcome": "cancelled" } | { "outcome": "skipped", reason: string, };

export type StepOutcome = "succeeded" | "succeeded_with_failures" | "halted" | "cancelled";

export type DeployOutcome = { "outcome": "succeeded", failed_tasks: number, unready: Array<string>, } | { "outcome": "failed", reason: string, 
/**
 * What kind of runtime failure stopped it, when one did.
 */
kind?: RuntimeErrorKind, } | { "outcome": "cancelled" } | { "outcome": "interrupted", reason: string, };

/**
 * One line of the environments list: the environment, what it is doing, where it answers.
 */
export type EnvironmentRowView = { environment: EnvironmentView, activity: ActivityView | null, urls: Array<UrlView>, 
/**
 * Its services ready, of how many ("2 of 3 ready"), as the last health round saw them;
 * null unless it is deployed or degraded, or before a round looked.
 */
services: ServicesReadyView | null, };

/**
 * What an environment is doing now.
 */
export type ActivityView = { 
/**
 * The running deploy's stage; null when deploys only wait.
 */
stage: StageView | null, 
/**
 * The running deploy builds its images now.
 */
building: boolean, 
/**
 * The step it runs now.
 */
step: string | null, stepsDone: number, 
/**
 * Deploys waiting behind it.
 */
queued: number, };

/**
 * A service's address on this machine.
 */
export type UrlView = { service: string, 
/**
 * Its hostname through the local ingress.
 */
url: string, 
/**
 * `http://127.0.0.1:<port>`, the port its runtime publishes it on.
 */
direct: string | null, };

/**
 * How many of an environment's services are ready.
 */
export type ServicesReadyView = { ready: number, total: number, };

/**
 * A runtime an environment can be created on, for the create form.
 */
export type RuntimeChoice = { 
/**
 * What `CreateEnvironment::runtime` takes: `docker`, `kube:<context>`.
 */
name: string, label: string, available: boolean, 
/**
 * Why it is not available, or what it needs.
 */
note: string | null, 
/**
 * Its nodes pull images, so an app's built images go through the app's image registry.
 */
needsRegistry: boolean, };

/**
 * A parameter of a template, with the value an environment gives it.
 */
export type ParameterView = { name: string, description: string | null, default: string | null, 
/**
 * No default and not optional: an environment needs a value.
 */
required: boolean, 
/**
 * The value the environment was given; none: it takes the default (or, for an app, no
 * environment asked about).
 */
given: string | null, 
/**
 * What `${parameters.<name>}` reads: the given value, else the default, else empty;
 * none when a required one has no value.
 */
value: string | null, };

/**
 * An app an environment imports, as the details screen and `environments get` show it.
 */
export type ImportView = { app: string, branch: string, 
/**
 * Why that branch: which of Release's rules chose it.
 */
why: string, 
/**
 * The commit its files are read from; none for a working tree.
 */
commit: string | null, 
/**
 * Its services that run in the environment.
 */
services: Array<string>, 
/**
 * Its services left out (`exclude_services`).
 */
excluded: Array<string>, };

/**
 * One handle of an app's pool.
 */
export type HandleView = { pool: string, name: string, 
/**
 * The environment holding it (its id is the handle); none when it is free.
 */
heldBy: string | null, };

/**
 * What a preset gives `environments create`; each left out takes the usual default.
 */
export type PresetOptions = { 
/**
 * The branch; with a `*` (`feature/*`), a pattern the branch asked for must match
 * (there is no default branch then).
 */
branch: string | null, 
/**
 * The `environment_templates` entry.
 */
template: string | null, ttlHours: number | null, runtime: string | null, parameters: { [key in string]: string }, };

/**
 * A saved preset.
 */
export type PresetView = { name: string, app: string, options: PresetOptions, };

export type EnvironmentView = { envId: string, app: string, branch: string, ephemeral: boolean, 
/**
 * `v{default}.{specific}`.
 */
version: string, runtime: string, status: EnvironmentStatusView, 
/**
 * UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`; none for a permanent environment.
 */
expiresAt: string | null, createdAt: string, };

export type EnvironmentStatusView = "created" | "settingUp" | "deployed" | "degraded" | "patching" | "failed" | "interrupted" | "tearingDown" | "teardownFailed" | "tornDown" | "pausing" | "paused" | "resuming";

/**
 * What the Deploy button will run, and why.
 */
export type NextDeploy = { stage: StageView, reason: string, 
/**
 * The build the environment runs when its last setup or patch was a rollback to it: it is
 * pinned there until a deploy that builds moves it (which Deploy does: it rolls forward).
 */
pinnedBuild: number | null, };

export type StageView = "build" | "setup" | "patch" | "teardown" | "workflow" | "cron" | "pause" | "resume";

export type DeployView = { id: number, stage: StageView, reason: string, status: DeployStatusView, buildId: number | null, queuedAt: string, startedAt: string | null, finishedAt: string | null, 
/**
 * It ran `build_id`'s images, building nothing: a rollback to that build.
 */
rollback: boolean, 
/**
 * How it ended, once it has (a success may carry failed tasks and services not ready).
 */
outcome: DeployOutcome | null, 
/**
 * The custom workflow or cron job it ran, for the stages `workflow` and `cron`: the
 * timeline's label.
 */
target: string | null, };

export type DeployStatusView = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

export type DeployDetailView = { deploy: DeployView, steps: Array<StepView>, };

export type StepView = { step: number, name: string, waitForFinish: boolean, startedAt: string, finishedAt: string | null, outcome: string | null, tasks: Array<TaskView>, };

export type TaskView = { 
/**
 * `services.web`, `jobs.migrate`.
 */
task: string, 
/**
 * `pending`, `running`, `waiting`, `retrying`, `succeeded`, `failed`, `timed_out`,
 * `cancelled`, `skipped`.
 */
status: string, startedAt: string | null, finishedAt: string | null, waitReason: string | null, 
/**
 * Why it failed, timed out or was skipped.
 */
detail: string | null, 
/**
 * 1, or more when a transient runtime failure made the runner try it again.
 */
attempts: number, 
/**
 * What failed it, as the code a failed call would have (`DOCKER_UNREACHABLE`, ...), when
 * its runtime said: the window tells what to do about it.
 */
errorCode: ErrorCode | null, };

export type LogPageView = { lines: Array<LogLineView>, 
/**
 * Lines the cap dropped from the start of this log so far.
 */
dropped: number, };

export type LogLineView = { seq: number, at: string, stderr: boolean, line: string, };

export type BuildView = { id: number, gitCommit: string | null, 
/**
 * What started it: `deploy 4 of ted1bc4: main at 1a2b3c4d5e6f`.
 */
trigger: string, 
/**
 * `running`, `succeeded` or `failed`.
 */
status: string, startedAt: string, finishedAt: string | null, images: Array<ImageView>, 
/**
 * The environment whose deploy made it; null for `stagecraft builds create`.
 */
environment: string | null, 
/**
 * That environment's branch.
 */
branch: string | null, 
/**
 * The first line of the built commit's message, when the repository still has it.
 */
subject: string | null, 
/**
 * The environment asked about runs this build now (its last successful setup or patch).
 */
live: boolean, };

/**
 * One service's image in a build.
 */
export type ImageView = { service: string, tag: string, 
/**
 * `built`, `reused`, `failed` or `cancelled`.
 */
outcome: string, sizeBytes: number | null, cacheHits: number, 
/**
 * For a reused image, the build that made it.
 */
reusedFromBuild: number | null, 
/**
 * Why it was reused, or why it failed.
 */
detail: string | null, };

export type BuildComparisonView = { before: number, after: number, commits: CommitsBetweenView, services: Array<ServiceComparisonView>, };

export type ServiceComparisonView = { service: string, beforeSize: number | null, afterSize: number | null, sizeChange: number | null, layersAdded: Array<string>, layersRemoved: Array<string>, layersChanged: Array<LayerChangeView>, 
/**
 * Why the files inside the layers were not compared; null when they were.
 */
filesUnknown: string | null, steps: Array<StepComparisonView>, beforeCacheHits: number, afterCacheHits: number, reused: boolean, };

export type LayerChangeView = { instruction: string, beforeSize: number, afterSize: number, 
/**
 * What changed inside the layer, file by file; null when the images could not be read.
 */
files: FileChangesView | null, };

/**
 * The files of a layer that changed between two builds: each list sorted by path and cut at
 * 50, the rest counted in `more`.
 */
export type FileChangesView = { added: Array<string>, removed: Array<string>, changed: Array<FileChangeView>, renamed: Array<FileRenameView>, more: number, };

/**
 * A file of the same path with other contents.
 */
export type FileChangeView = { path: string, beforeSize: number, afterSize: number, };

/**
 * A file's contents under another path.
 */
export type FileRenameView = { from: string, to: string, };

export type StepComparisonView = { instruction: string, beforeMillis: number | null, afterMillis: number | null, beforeCached: boolean | null, afterCached: boolean | null, };

/**
 * One saved version of an environment's configuration.
 */
export type ConfigVersionView = { 
/**
 * `v{default}.{specific}`.
 */
version: string, specific: number, configYaml: string, createdAt: string, 
/**
 * With GitOps, where it comes from and is edited (`.release/application_template.yaml on
 * branch main`); null when it is edited here.
 */
follows: string | null, 
/**
 * For the newest version: each key its runtime does not carry out, located
 * (`ted1bc4 configuration:12:5: warning: charts: …`). Empty for older versions.
 */
warnings: Array<string>, 
/**
 * The values its parameters were given.
 */
parameters: { [key in string]: string }, };

/**
 * A workload's final variables; a secret's value is masked.
 */
export type WorkloadVarsView = { 
/**
 * `services.<name>` or `jobs.<name>`.
 */
workload: string, vars: Array<VariableView>, 
/**
 * How the workload reads them when not as its container's environment.
 */
note: string | null, };

export type VariableView = { key: string, value: string, secret: boolean, };

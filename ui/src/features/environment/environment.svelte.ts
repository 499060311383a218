// The environment screen's state and what it does: it reads the environment, its timeline, the
// open deploy, its services' health, its configuration's custom workflows and its cron jobs;
// follows the change feed and the newest deploy's events; runs the header's actions. The
// components only draw it and call its methods; tests drive it with a fake api.
import {
  toUiError,
  type Change,
  type CronJobView,
  type CustomWorkflow,
  type DeployDetailView,
  type DeployView,
  type EnvironmentsApi,
  type EnvironmentView,
  type LogPageView,
  type LogResourceView,
  type NextDeploy,
  type ServiceHealthView,
  type UiError,
} from "../../ipc";
import { reloadWhileOpen } from "../../lib/changes";
import { isActive, runsServices, span, whyNotDeploy, whyNotTeardown } from "../../lib/describe";
import { OpenLog } from "./logs/openLog.svelte";
import { Terminals } from "./terminal/terminals.svelte";
import { followFeed, type Feed } from "./timeline/feed";
import { applyEvent, type EventMessage, type Timeline } from "./timeline/reduce";

export type Tab = "timeline" | "builds" | "logs" | "terminal" | "configuration" | "variables";

export const TABS: [Tab, string][] = [
  ["timeline", "Timeline"],
  ["builds", "Builds"],
  ["logs", "Logs"],
  ["terminal", "Terminal"],
  ["configuration", "Configuration"],
  ["variables", "Variables"],
];

/** The build stage's events: the first one tells the deploy has a build (its id is read). */
const BUILD_EVENTS = new Set([
  "service_build_reused",
  "service_build_started",
  "service_build_step",
  "service_built",
  "service_build_failed",
]);

/**
 * Whether `change` makes the screen of `envId` read the api again, when `following` is the
 * deploy whose events it applies (if any). A followed deploy's progress comes with its events;
 * everything else (a deploy queued, started or ended, the environment's status, a notice, an
 * unfollowed deploy's progress) is read again.
 */
export function reloads(change: Change, envId: string, following: number | undefined): boolean {
  if (change.envId !== envId) return false;
  return change.kind !== "deployProgressed" || change.deployId !== following;
}

/** The newest deploy that is not a cron run, the first load's open one. */
function newestDeploy(deploys: DeployView[]): DeployView | undefined {
  for (let i = deploys.length - 1; i >= 0; i -= 1) {
    const d = deploys[i];
    if (d !== undefined && d.stage !== "cron") return d;
  }
  return undefined;
}

export class EnvironmentModel {
  readonly envId: string;

  env = $state<EnvironmentView>();
  /** What Deploy runs, and why; none once the environment is torn down. */
  next = $state<NextDeploy>();
  /** The custom workflows of the environment's configuration (the Workflows menu); none when
   *  it has none, or they could not be read. */
  workflows = $state.raw<CustomWorkflow[]>([]);
  /** The cron jobs of the environment's configuration, each with its next and last run (the
   *  Cron jobs panel); none when it has none, or they were never read. */
  cronJobs = $state.raw<CronJobView[]>([]);
  /** Whether the timeline's "Cron runs" group is open: closed until asked for. */
  cronRunsOpen = $state(false);
  // Raw, as the timeline reducer gives them: always replaced, never changed in place.
  deploys = $state.raw<DeployView[]>([]);
  detail = $state.raw<DeployDetailView>();
  /** The deploy opened into its steps. */
  expanded = $state<number>();
  /** The screen could not be read. */
  error = $state<UiError>();
  /** An action (or a stream) failed. */
  actionError = $state<UiError>();
  /** Deploy was clicked and has not answered yet. */
  starting = $state(false);
  /** The clock of the durations and the running bars; moves each second while a deploy is on. */
  now = $state(Date.now());
  tab = $state<Tab>("timeline");
  logResources = $state<LogResourceView[]>([]);
  /** The newest deploy's progress lines, streamed from its events (kept across a reload). */
  feed = $state<Feed>();
  /** The opened deploy's progress, when it is not the newest one (whose feed is `feed`):
   *  read again from its kept events, so a deploy re-opened shows what it said. */
  openedFeed = $state<Feed>();
  #openedFeedId: number | undefined;
  #stopOpenedFeed: (() => void) | undefined;
  /** Each service as its runtime reported it when last read; none before the first read. */
  health = $state.raw<ServiceHealthView[]>();
  /** The services' health could not be read (what was read before stays). */
  healthError = $state<UiError>();
  /** The services' health is being read. */
  readingHealth = $state(false);
  /** The shells open in the Terminal tab. */
  readonly terminals = new Terminals();
  readonly log: OpenLog;

  readonly gone = $derived(this.env !== undefined && whyNotTeardown(this.env.status) !== null);
  /** A teardown left objects behind: only another teardown may run. */
  readonly teardownOnly = $derived(this.env?.status === "teardownFailed");
  /** Its containers are stopped and kept: Resume starts them, Deploy resumes it first. */
  readonly paused = $derived(this.env?.status === "paused");
  /** Whether Pause may be asked for: something of it runs, or was left between states. */
  readonly canPause = $derived(
    this.env !== undefined &&
      ["deployed", "degraded", "failed", "interrupted"].includes(this.env.status),
  );
  /** Whether the Services panel shows: the environment's services may be running. */
  readonly showsServices = $derived(this.env !== undefined && runsServices(this.env.status));
  readonly active = $derived(isActive(this.deploys));
  readonly newestFirst = $derived([...this.deploys].reverse());
  /** The runs of cron jobs, newest first: a lane of their own on the timeline. */
  readonly cronRuns = $derived(this.newestFirst.filter((d) => d.stage === "cron"));
  /** Every other deploy, newest first: the timeline's main list. */
  readonly mainRuns = $derived(this.newestFirst.filter((d) => d.stage !== "cron"));
  /** Whether Resume may be asked for: it is paused, or a pause or resume was cut short. */
  readonly canResume = $derived(
    this.paused ||
      ((this.env?.status === "failed" || this.env?.status === "interrupted") &&
        ["pause", "resume"].includes(
          this.newestFirst.find((d) => d.startedAt !== null)?.stage ?? "",
        )),
  );
  readonly chart = $derived(this.detail ? span(this.detail.steps, this.now) : null);
  /** Whether Deploy (or Ctrl+Enter) may start a deploy now. */
  readonly canDeploy = $derived(this.next !== undefined && !this.gone && !this.starting);
  /** Why a custom workflow or a cron job cannot run now, or null when it can: as for Deploy
   *  (each is queued as a deploy is). */
  readonly runBlocked = $derived(
    this.paused
      ? "It is paused: resume it first"
      : this.canDeploy
        ? null
        : ((this.env ? whyNotDeploy(this.env.status) : null) ?? "A deploy is starting"),
  );

  #api: EnvironmentsApi;
  #storage: Storage;
  #closed = false;
  #stopChanges: (() => void) | undefined;
  #clock: ReturnType<typeof setInterval> | undefined;
  // Loads overlap (a change, a click): only the last one started may write, or an answer read
  // before a deploy ended could land after one read once it had.
  #loads = 0;
  // The same for the services' health: the last read started writes.
  #healthReads = 0;
  // The newest deploy opens on the first load; after that the user decides what is open.
  #opened = false;
  /** Loads running now, and the events that arrived meanwhile (given again to what they read). */
  #loading = 0;
  #arrived: { deployId: number; message: EventMessage }[] = [];
  /** The deploy whose events are followed, and whether its stream may still send them. */
  #followed: number | undefined;
  #live = false;
  #stopFeed: (() => void) | undefined;
  /** The deploy whose build id was read again when its build started. */
  #buildRead: number | undefined;
  /** The custom workflows read for a configuration version: read again once it changes. */
  #workflowsRead: { version: string; read: Promise<CustomWorkflow[]> } | undefined;
  /** The cron jobs read for a configuration version, a status and what the timeline held
   *  (their next and last runs move with its deploys): read again once one changes. */
  #cronRead: { key: string; read: Promise<CronJobView[] | undefined> } | undefined;

  constructor(api: EnvironmentsApi, envId: string, storage: Storage = sessionStorage) {
    this.#api = api;
    this.envId = envId;
    this.#storage = storage;
    this.log = new OpenLog(api, (raw) => (this.actionError = toUiError(raw)));
  }

  /**
   * Opens the screen: the log it showed before a reload of the window, the change feed, then
   * the first load. The screen is read again when the change feed says this environment
   * changed in a way the followed deploy's events do not tell (a deploy ended, its status),
   * never on a timer; the clock only moves the running bars and the durations. Each of these
   * reads is followed by one of the services' health.
   */
  open(): void {
    this.#clock = setInterval(() => {
      if (this.active) this.now = Date.now();
    }, 1000);
    try {
      const saved = JSON.parse(this.#storage.getItem(this.#logKey) ?? "null") as {
        resource: string;
        tab: Tab;
      } | null;
      if (saved !== null && typeof saved.resource === "string") {
        this.tab = saved.tab === "logs" ? "logs" : "timeline";
        this.showLog(saved.resource);
      }
    } catch {
      // A note that does not read is no log to reopen.
    }
    this.#stopChanges = reloadWhileOpen(
      this.#api,
      (change) => reloads(change, this.envId, this.#live ? this.#followed : undefined),
      () => this.#reread(),
      (raw) => (this.error = toUiError(raw)),
    );
  }

  /** Closes the screen: its streams and its clock stop. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#clock);
    this.#stopChanges?.();
    this.#stopFeed?.();
    this.#stopOpenedFeed?.();
    this.log.close();
  }

  /** Reads the screen, then (not waited for: the runtime may be slow) its services' health. */
  async #reread(): Promise<void> {
    await this.load();
    if (this.showsServices) void this.loadHealth();
  }

  /** Reads each service's health from the environment's runtime. */
  async loadHealth(): Promise<void> {
    const mine = ++this.#healthReads;
    this.readingHealth = true;
    try {
      const health = await this.#api.health(this.envId);
      if (mine !== this.#healthReads) return;
      this.health = health;
      this.healthError = undefined;
    } catch (raw) {
      if (mine === this.#healthReads) this.healthError = toUiError(raw);
    } finally {
      if (mine === this.#healthReads) this.readingHealth = false;
    }
  }

  /**
   * The custom workflows of the configuration `version`: read once a version, so each load
   * (however they overlap) awaits the same read. One that fails gives none (the menu hides),
   * and is tried again on the next load.
   */
  #readWorkflows(version: string): Promise<CustomWorkflow[]> {
    if (this.#workflowsRead?.version !== version) {
      const read: Promise<CustomWorkflow[]> = this.#api.workflows(this.envId).catch(() => {
        if (this.#workflowsRead?.read === read) this.#workflowsRead = undefined;
        return [];
      });
      this.#workflowsRead = { version, read };
    }
    return this.#workflowsRead.read;
  }

  /**
   * The cron jobs of the environment `env` (its configuration version and status) with the
   * timeline `deploys`: read once for them, so each load (however they overlap) awaits the same
   * read, and again when one changes: a deploy queued or ended (a cron run among them) moves a
   * job's last and next runs. One that fails gives undefined (what was shown stays, the error
   * unsaid) and is tried again on the next load.
   */
  #readCronJobs(env: EnvironmentView, deploys: DeployView[]): Promise<CronJobView[] | undefined> {
    const runs = deploys.map((d) => `${d.id}:${d.status}`).join(",");
    const key = `${env.version} ${env.status} ${runs}`;
    if (this.#cronRead?.key !== key) {
      const read: Promise<CronJobView[] | undefined> = this.#api.cronJobs(this.envId).catch(() => {
        if (this.#cronRead?.read === read) this.#cronRead = undefined;
        return undefined;
      });
      this.#cronRead = { key, read };
    }
    return this.#cronRead.read;
  }

  /** Reads the environment, its timeline, the open deploy, its configuration's custom
   *  workflows and cron jobs, and (on the Logs tab) its logs. */
  async load(): Promise<void> {
    const mine = ++this.#loads;
    const api = this.#api;
    const envId = this.envId;
    this.#loading += 1;
    const mark = this.#arrived.length;
    try {
      const [e, d] = await Promise.all([api.environment(envId), api.timeline(envId)]);
      // Read beside the rest (never rejects): the workflows again only when the configuration
      // changed, the cron jobs when it or the timeline did.
      const reading =
        whyNotTeardown(e.status) === null
          ? Promise.all([this.#readWorkflows(e.version), this.#readCronJobs(e, d)])
          : null;
      const n =
        // Nothing but a teardown runs on these: Deploy has nothing to offer.
        whyNotDeploy(e.status) !== null ? undefined : await api.nextDeploy(envId);
      // The first load opens the newest deploy, not a cron run (those sit in a closed group).
      const open = this.#opened ? this.expanded : newestDeploy(d)?.id;
      const shown = open === undefined ? undefined : await api.deployDetail(open);
      const resources = this.tab === "logs" ? await api.logResources(envId) : this.logResources;
      const [workflows, cronJobs] = reading === null ? [[], []] : await reading;
      if (mine !== this.#loads) return;
      // Events that arrived while this load read may be newer than what it read: given again.
      let timeline: Timeline = { deploys: d, detail: shown };
      for (const { deployId, message } of this.#arrived.slice(mark)) {
        timeline = applyEvent(timeline, deployId, message);
      }
      this.logResources = resources;
      this.env = e;
      this.deploys = timeline.deploys;
      this.expanded = open;
      this.#opened = true;
      this.next = n;
      this.workflows = workflows;
      if (cronJobs !== undefined) this.cronJobs = cronJobs;
      this.detail = timeline.detail;
      this.error = undefined;
      this.#follow(d.at(-1)?.id);
      if (open !== undefined && open !== d.at(-1)?.id) this.#followOpened(open);
    } catch (raw) {
      this.error = toUiError(raw);
    } finally {
      this.#loading -= 1;
      if (this.#loading === 0) this.#arrived = [];
      this.now = Date.now();
    }
  }

  /** Streams the newest deploy's events: its progress lines, and its steps and tasks. */
  #follow(deployId: number | undefined) {
    if (deployId === undefined || deployId === this.#followed || this.#closed) return;
    this.#stopFeed?.();
    this.#stopFeed = undefined;
    this.#followed = deployId;
    this.#live = true;
    followFeed(
      this.#api,
      this.#storage,
      deployId,
      (feed) => {
        if (this.#followed !== deployId) return;
        this.feed = feed;
        // Ended: nothing more comes from it (its end is read again on `deployEnded`).
        if (feed.ended) this.#live = false;
      },
      (message) => {
        if (this.#followed === deployId) this.#take(deployId, message);
      },
    )
      .then((stop) => {
        if (this.#followed === deployId && !this.#closed) this.#stopFeed = stop;
        else stop();
      })
      .catch((raw: unknown) => {
        if (this.#followed === deployId) this.#live = false;
        this.actionError = toUiError(raw);
      });
  }

  /** The progress lines of a deploy opened on the timeline, `feed` for the newest one. */
  feedOf(deployId: number): Feed | undefined {
    if (this.feed?.deployId === deployId) return this.feed;
    return this.openedFeed?.deployId === deployId ? this.openedFeed : undefined;
  }

  /** Reads an opened older deploy's progress lines from its kept events. */
  #followOpened(deployId: number) {
    if (deployId === this.#openedFeedId || this.#closed) return;
    this.#stopOpenedFeed?.();
    this.#stopOpenedFeed = undefined;
    this.#openedFeedId = deployId;
    followFeed(this.#api, this.#storage, deployId, (feed) => {
      if (this.#openedFeedId === deployId) this.openedFeed = feed;
    })
      .then((stop) => {
        if (this.#openedFeedId === deployId && !this.#closed) this.#stopOpenedFeed = stop;
        else stop();
      })
      .catch((raw: unknown) => {
        this.actionError = toUiError(raw);
      });
  }

  /** A followed deploy's event: applied to the timeline shown, without reading it again. */
  #take(deployId: number, message: EventMessage) {
    if (this.#loading > 0) this.#arrived.push({ deployId, message });
    const timeline = applyEvent({ deploys: this.deploys, detail: this.detail }, deployId, message);
    this.deploys = timeline.deploys;
    this.detail = timeline.detail;
    // The build's id is not in its events: read once, when the deploy starts building.
    const lane = this.deploys.find((d) => d.id === deployId);
    if (
      BUILD_EVENTS.has(message.event.type) &&
      lane?.buildId === null &&
      this.#buildRead !== deployId
    ) {
      this.#buildRead = deployId;
      void this.load();
    }
  }

  /** Queues a deploy and opens it on the timeline. */
  async deploy(): Promise<void> {
    this.starting = true;
    try {
      const started = await this.#api.deploy(this.envId);
      this.expanded = started.id;
      this.actionError = undefined;
      await this.load();
    } catch (raw) {
      this.actionError = toUiError(raw);
    } finally {
      this.starting = false;
    }
  }

  /** Queues a setup whatever Deploy would run (to repair drift), and opens it. */
  setup(): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.setup(this.envId)).id;
    });
  }

  /** Queues the custom workflow `name` (from the Workflows menu) and opens it. */
  runWorkflow(name: string): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.runWorkflow(this.envId, name)).id;
    });
  }

  /** Runs the cron job `name` once now (its Run now, or a failed run's Run again) and opens
   *  the run in the timeline's Cron runs group. */
  runCronJob(name: string): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.runCronJob(this.envId, name)).id;
      this.cronRunsOpen = true;
    });
  }

  /** Opens or closes the timeline's Cron runs group; a cron run open in it closes with it. */
  toggleCronRuns(): void {
    this.cronRunsOpen = !this.cronRunsOpen;
    const open = this.expanded;
    if (!this.cronRunsOpen && open !== undefined && this.cronRuns.some((d) => d.id === open)) {
      this.toggle(open);
    }
  }

  /** Opens `deploy` on the timeline (a cron job's last run, from the Cron jobs panel): its
   *  group opened if it is a cron run, the Timeline tab shown. */
  showDeploy(deploy: DeployView): void {
    if (deploy.stage === "cron") this.cronRunsOpen = true;
    this.tab = "timeline";
    if (this.expanded === deploy.id) return;
    this.expanded = deploy.id;
    this.detail = undefined;
    void this.load();
  }

  /** Stops the running deploy and drops the queued ones. */
  cancel(): Promise<void> {
    return this.#act(() => this.#api.cancel(this.envId));
  }

  /** Expires the environment `hours` from now (null: the most, 7 days); gives it extended, or
   *  nothing when refused (the error is shown). */
  async extend(hours: number | null = null): Promise<EnvironmentView | undefined> {
    let extended: EnvironmentView | undefined;
    await this.#act(async () => {
      extended = await this.#api.extend(this.envId, hours);
    });
    return extended;
  }

  /** Streams a kept log's pages (a failed task's last lines), for a view of its own. */
  followLog(resource: string, onPage: (page: LogPageView) => void): Promise<() => void> {
    return this.#api.followLog(resource, 0, onPage);
  }

  /** Deploys an earlier build's images (a rollback, confirmed by the caller) and opens it. */
  rollback(buildId: number): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.deployBuild(this.envId, buildId)).id;
    });
  }

  /** Queues a pause (its containers stopped and kept) and opens it. */
  pause(): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.pause(this.envId)).id;
    });
  }

  /** Queues a resume (its services started again, no jobs) and opens it. */
  resume(): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.resume(this.envId)).id;
    });
  }

  /** Queues the teardown and opens it. */
  teardown(): Promise<void> {
    return this.#act(async () => {
      this.expanded = (await this.#api.teardown(this.envId)).id;
    });
  }

  /** Runs a header's action: its error shown, the screen read again. */
  async #act(action: () => Promise<unknown>) {
    try {
      await action();
      this.actionError = undefined;
      await this.load();
    } catch (raw) {
      this.actionError = toUiError(raw);
    }
  }

  /** Opens a deploy into its steps, or closes it. */
  toggle(deployId: number): void {
    this.expanded = this.expanded === deployId ? undefined : deployId;
    if (this.expanded === undefined && this.#openedFeedId === deployId) {
      // Closed: its progress is no longer read.
      this.#stopOpenedFeed?.();
      this.#stopOpenedFeed = undefined;
      this.#openedFeedId = undefined;
      this.openedFeed = undefined;
    }
    this.detail = undefined;
    void this.load();
  }

  /** Opens a shell in `service`'s container, on the Terminal tab. */
  openTerminal(service: string): void {
    this.terminals.open(service);
    this.selectTab("terminal");
  }

  selectTab(tab: Tab): void {
    this.tab = tab;
    void this.load();
  }

  /** A build's images were queued to deploy (from the Builds tab): shown on the timeline. */
  deployed(started: DeployView): void {
    this.expanded = started.id;
    this.tab = "timeline";
    void this.load();
  }

  /** Opens a kept log in the Logs tab (a build's output, from the Builds tab). */
  openLog(resource: string): void {
    this.tab = "logs";
    this.showLog(resource);
    void this.load();
  }

  /** Streams a kept log below the timeline or the list of logs. */
  showLog(resource: string): void {
    this.log.show(resource);
    try {
      // A reloaded window opens the same log again (its lines come anew from the store).
      this.#storage.setItem(this.#logKey, JSON.stringify({ resource, tab: this.tab }));
    } catch {
      // Without storage, a reload only forgets which log was open.
    }
  }

  get #logKey() {
    return `stagecraft.log.${this.envId}`;
  }
}

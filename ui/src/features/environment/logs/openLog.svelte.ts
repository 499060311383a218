// The log open on the environment screen: its lines, streamed over a channel as they are stored.
import type { EnvironmentsApi, LogLineView } from "../../../ipc";

/** The most log lines held in the window (the view draws only what is visible). */
export const LOG_WINDOW = 200_000;

/**
 * A busy service sends several pages a second; they are gathered and drawn together every
 * LOG_EVERY ms, so the window copies its (up to 200,000) lines a few times a second, not once
 * per page.
 */
export const LOG_EVERY = 250;

export class OpenLog {
  /** The kept log shown (`ted1bc4/services.web`), if one is. */
  resource = $state<string>();
  // Raw: up to 200,000 lines, always replaced whole; a deep proxy per line would cost every frame.
  lines = $state.raw<LogLineView[]>([]);
  /** Lines the cap dropped from the start of the log so far. */
  dropped = $state(0);

  #api: Pick<EnvironmentsApi, "followLog">;
  #failed: (raw: unknown) => void;
  #stop: (() => void) | undefined;
  #pending: LogLineView[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** `failed` gets a stream that could not start. */
  constructor(api: Pick<EnvironmentsApi, "followLog">, failed: (raw: unknown) => void) {
    this.#api = api;
    this.#failed = failed;
  }

  /** Shows `resource` from its first kept line, then its new ones as they come. */
  show(resource: string): void {
    this.#stop?.();
    this.#stop = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
    this.resource = resource;
    this.lines = [];
    this.dropped = 0;
    this.#api
      .followLog(resource, 0, (page) => {
        if (resource !== this.resource) return;
        this.dropped = page.dropped;
        // Each line once, whatever a page repeats.
        const last = this.#pending.at(-1)?.seq ?? this.lines.at(-1)?.seq ?? 0;
        const fresh = page.lines.filter((l) => l.seq > last);
        if (fresh.length === 0) return;
        this.#pending.push(...fresh);
        this.#timer ??= setTimeout(() => this.#flush(), LOG_EVERY);
      })
      .then((stop) => {
        if (resource === this.resource && !this.#closed) this.#stop = stop;
        else stop();
      })
      .catch(this.#failed);
  }

  /** Stops the stream for good (the screen closed). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stop?.();
  }

  #flush() {
    this.#timer = undefined;
    const fresh = this.#pending;
    this.#pending = [];
    if (fresh.length > 0) this.lines = [...this.lines, ...fresh].slice(-LOG_WINDOW);
  }
}

// A running deploy's progress as lines, the way `stagecraft deploys create --wait` prints it,
// fed by the deploy's event stream. The lines and the last `seq` are kept in the window's
// session storage, so a reloaded window shows what it had and asks only for what came after.
import type { EnvironmentsApi, FollowMessage } from "../../../ipc";
import type { EventMessage } from "./reduce";

export interface Feed {
  deployId: number;
  lastSeq: number;
  lines: string[];
  ended: boolean;
  /** When each running task must be done by (ms since the epoch), from its start and limit. */
  deadlines?: Record<string, number> | undefined;
  /** Lines ever taken (those `lines` keeps are the last ones). */
  total?: number | undefined;
  /** Each task waiting now: the line (counted as `total` counts) its waits share, and how many
   *  times it was said. The task's next wait replaces that line, whatever came between. */
  waits?: Record<string, { at: number; count: number }> | undefined;
}

/** The most lines a feed keeps: a long setup says thousands of things, the last ones matter. */
export const FEED_LINES = 200;

const key = (deployId: number) => `stagecraft.feed.${deployId}`;

/** The feed kept for this deploy by an earlier page of this window, or a new one. */
export function restoreFeed(storage: Storage, deployId: number): Feed {
  try {
    const saved = JSON.parse(storage.getItem(key(deployId)) ?? "null") as Feed | null;
    if (saved !== null && saved.deployId === deployId && Array.isArray(saved.lines)) return saved;
  } catch {
    // A feed that does not read is started again from the deploy's first event.
  }
  return { deployId, lastSeq: 0, lines: [], ended: false };
}

/** "4 min 10 s left", "12 s left", or that the limit has passed. */
export function timeLeft(deadline: number, at: number): string {
  const seconds = Math.round((deadline - at) / 1000);
  if (seconds <= 0) return "at its limit";
  if (seconds < 60) return `${seconds} s left`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s left`;
}

/**
 * The feed with `message` taken in: an event already seen (by `seq`) changes nothing. A task's
 * waits are one line, the newest wording with how many times it was said and the time left
 * before the task's limit, even while other tasks wait beside it; the line goes on as history
 * once the task moves on.
 */
export function takeMessage(feed: Feed, message: FollowMessage): Feed {
  if (message.kind === "end") return { ...feed, ended: true };
  if (message.seq <= feed.lastSeq) return feed;
  const event = message.event;
  let deadlines = feed.deadlines;
  if (event.type === "task_started" && event.limit_secs !== undefined) {
    deadlines = {
      ...deadlines,
      [event.task]: Date.parse(message.at) + event.limit_secs * 1000,
    };
  }
  let waits = feed.waits;
  const task = "task" in event ? event.task : undefined;
  if (task !== undefined && event.type !== "task_waiting" && waits?.[task] !== undefined) {
    // It moved on: its wait line stays as it was.
    waits = Object.fromEntries(Object.entries(waits).filter(([t]) => t !== task));
  }
  const total = feed.total ?? feed.lines.length;
  // The wording comes with the event (the engine's `progress_line`, as the command prints it).
  if (message.line === null) return { ...feed, lastSeq: message.seq, deadlines, waits };
  if (event.type === "task_waiting") {
    const earlier = waits?.[event.task];
    const first = total - feed.lines.length;
    const kept = earlier !== undefined && earlier.at >= first ? earlier : undefined;
    const count = (kept?.count ?? 0) + 1;
    const deadline = deadlines?.[event.task];
    const notes = [
      count > 1 ? `×${count}` : null,
      deadline === undefined ? null : timeLeft(deadline, Date.parse(message.at)),
    ].filter((n) => n !== null);
    const line = notes.length > 0 ? `${message.line} (${notes.join(", ")})` : message.line;
    if (kept !== undefined) {
      const lines = [...feed.lines];
      lines[kept.at - first] = line;
      return {
        ...feed,
        lastSeq: message.seq,
        deadlines,
        lines,
        waits: { ...waits, [event.task]: { at: kept.at, count } },
      };
    }
    return {
      ...feed,
      lastSeq: message.seq,
      deadlines,
      total: total + 1,
      lines: [...feed.lines, line].slice(-FEED_LINES),
      waits: { ...waits, [event.task]: { at: total, count } },
    };
  }
  return {
    ...feed,
    lastSeq: message.seq,
    deadlines,
    waits,
    total: total + 1,
    lines: [...feed.lines, message.line].slice(-FEED_LINES),
  };
}

/**
 * Follows one deploy's events into a feed kept in `storage`, calling `changed` with each new
 * state, and `took` with each event first taken (none twice, none from before the kept
 * `seq`). Resolves to a function that stops following.
 */
export async function followFeed(
  api: Pick<EnvironmentsApi, "followDeploy">,
  storage: Storage,
  deployId: number,
  changed: (feed: Feed) => void,
  took: (message: EventMessage) => void = () => {},
): Promise<() => void> {
  let feed = restoreFeed(storage, deployId);
  changed(feed);
  if (feed.ended) return () => {};
  return api.followDeploy(deployId, feed.lastSeq, (message) => {
    const next = takeMessage(feed, message);
    if (next === feed) return;
    if (message.kind === "event") took(message);
    feed = next;
    try {
      storage.setItem(key(deployId), JSON.stringify(feed));
    } catch {
      // A full storage only costs the replay after a reload.
    }
    changed(feed);
  });
}

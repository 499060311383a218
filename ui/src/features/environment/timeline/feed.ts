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

/** The feed with `message` taken in: an event already seen (by `seq`) changes nothing. */
export function takeMessage(feed: Feed, message: FollowMessage): Feed {
  if (message.kind === "end") return { ...feed, ended: true };
  if (message.seq <= feed.lastSeq) return feed;
  // The wording comes with the event (the engine's `progress_line`, as the command prints it).
  const lines =
    message.line === null ? feed.lines : [...feed.lines, message.line].slice(-FEED_LINES);
  return { ...feed, lastSeq: message.seq, lines };
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

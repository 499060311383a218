import { describe, expect, it, vi } from "vitest";
import type { FollowMessage } from "../../../ipc";
import { FEED_LINES, followFeed, restoreFeed, takeMessage } from "./feed";

/** A Storage in memory: what the window's sessionStorage keeps across a reload. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => items.delete(k),
    setItem: (k, v) => items.set(k, v),
  };
}

/** A step's start, as the app sends it: the event and its progress line. */
const event = (seq: number, name: string): FollowMessage => ({
  kind: "event",
  seq,
  at: "2026-11-26T06:00:00.000Z",
  event: { type: "step_started", step: seq, name, tasks: [], wait_for_finish: true },
  line: `  step ${name}`,
});

describe("a deploy's progress lines", () => {
  it("shows each event's line, and nothing for an event without one", () => {
    let feed = restoreFeed(memoryStorage(), 7);
    feed = takeMessage(feed, event(1, "data"));
    feed = takeMessage(feed, {
      kind: "event",
      seq: 2,
      at: "2026-11-26T06:00:00.000Z",
      event: { type: "task_started", step: 0, task: "services.web" },
      line: null,
    });
    expect(feed.lines).toEqual(["  step data"]);
    expect(feed.lastSeq).toBe(2);
  });

  it("takes each seq once, and keeps the last lines only", () => {
    let feed = restoreFeed(memoryStorage(), 7);
    feed = takeMessage(feed, event(1, "data"));
    const again = takeMessage(feed, event(1, "data"));
    expect(again).toBe(feed);
    for (let seq = 2; seq < FEED_LINES + 10; seq++) {
      feed = takeMessage(feed, event(seq, `s${seq}`));
    }
    expect(feed.lines.length).toBe(FEED_LINES);
    expect(feed.lines.at(-1)).toBe(`  step s${FEED_LINES + 9}`);
    expect(takeMessage(feed, { kind: "end" }).ended).toBe(true);
  });
});

describe("a task that waits", () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 10, 26, 6, 0, seconds)).toISOString();
  const message = (seq: number, seconds: number, event: FollowMessage): FollowMessage => ({
    ...(event as Extract<FollowMessage, { kind: "event" }>),
    seq,
    at: at(seconds),
  });
  const started = (seq: number, task: string): FollowMessage =>
    message(seq, 0, {
      kind: "event",
      seq,
      at: "",
      event: { type: "task_started", step: 0, task, limit_secs: 600 },
      line: null,
    });
  const waited = (seq: number, seconds: number, task: string, attempt: number): FollowMessage =>
    message(seq, seconds, {
      kind: "event",
      seq,
      at: "",
      event: { type: "task_waiting", step: 0, task, reason: `attempt ${attempt}` },
      line: `    ${task}: attempt ${attempt}`,
    });

  it("says its waits in a row as one line, counted, with the time left before its limit", () => {
    let feed = restoreFeed(memoryStorage(), 7);
    feed = takeMessage(feed, started(1, "services.web"));
    feed = takeMessage(feed, waited(2, 5, "services.web", 1));
    expect(feed.lines).toEqual(["    services.web: attempt 1 (9 min 55 s left)"]);
    feed = takeMessage(feed, waited(3, 10, "services.web", 2));
    feed = takeMessage(feed, waited(4, 590, "services.web", 3));
    expect(feed.lines).toEqual(["    services.web: attempt 3 (×3, 10 s left)"]);
  });

  it("keeps one line per waiting task while tasks wait side by side", () => {
    let feed = restoreFeed(memoryStorage(), 7);
    feed = takeMessage(feed, waited(1, 1, "services.web", 1));
    feed = takeMessage(feed, waited(2, 2, "services.api", 1));
    feed = takeMessage(feed, event(3, "data"));
    feed = takeMessage(feed, waited(4, 3, "services.api", 2));
    feed = takeMessage(feed, waited(5, 4, "services.web", 2));
    expect(feed.lines).toEqual([
      "    services.web: attempt 2 (×2)",
      "    services.api: attempt 2 (×2)",
      "  step data",
    ]);
  });

  it("starts a new line for a task that waits again after it moved on", () => {
    let feed = restoreFeed(memoryStorage(), 7);
    feed = takeMessage(feed, waited(1, 1, "services.web", 1));
    feed = takeMessage(feed, {
      kind: "event",
      seq: 2,
      at: at(2),
      event: {
        type: "task_retrying",
        step: 0,
        task: "services.web",
        attempt: 1,
        of: 3,
        error: "gone",
        retry_in_ms: 10,
      },
      line: "    services.web: attempt 1 of 3 failed: gone; trying again",
    });
    feed = takeMessage(feed, waited(3, 3, "services.web", 1));
    expect(feed.lines).toEqual([
      "    services.web: attempt 1",
      "    services.web: attempt 1 of 3 failed: gone; trying again",
      "    services.web: attempt 1",
    ]);
  });
});

describe("following a deploy across a reload", () => {
  it("keeps what it had and asks only for the events after its last seq", async () => {
    const storage = memoryStorage();
    const asked: number[] = [];
    let send: (m: FollowMessage) => void = () => {};
    const api = {
      followDeploy: vi.fn(
        (_id: number, afterSeq: number, onMessage: (m: FollowMessage) => void) => {
          asked.push(afterSeq);
          send = onMessage;
          return Promise.resolve(() => {});
        },
      ),
    };
    const seen: string[][] = [];

    await followFeed(api, storage, 7, (f) => seen.push(f.lines));
    send({
      kind: "event",
      seq: 1,
      at: "2026-11-26T06:00:00.000Z",
      event: { type: "stage_started", stage: "setup", reason: "first setup" },
      line: "setup: first setup",
    });
    send(event(2, "data"));

    // The window reloads: a new page, the same session storage.
    let reloaded: string[] = [];
    await followFeed(api, storage, 7, (f) => (reloaded = f.lines));
    expect(reloaded).toEqual(["setup: first setup", "  step data"]);
    send(event(2, "data"));
    send(event(3, "apps"));

    expect(asked).toEqual([0, 2]);
    expect(reloaded).toEqual(["setup: first setup", "  step data", "  step apps"]);
  });

  it("hands on each event it takes, once, and none from before its kept seq", async () => {
    const storage = memoryStorage();
    let send: (m: FollowMessage) => void = () => {};
    const api = {
      followDeploy: (_id: number, _after: number, onMessage: (m: FollowMessage) => void) => {
        send = onMessage;
        return Promise.resolve(() => {});
      },
    };
    const took: number[] = [];
    await followFeed(
      api,
      storage,
      8,
      () => {},
      (m) => took.push(m.seq),
    );
    send(event(1, "data"));
    send(event(2, "apps"));
    send(event(2, "apps"));
    expect(took).toEqual([1, 2]);

    // A reloaded window asks from its kept seq: what it took before is not handed on again.
    const again: number[] = [];
    await followFeed(
      api,
      storage,
      8,
      () => {},
      (m) => again.push(m.seq),
    );
    send(event(1, "data"));
    send(event(2, "apps"));
    send(event(3, "jobs"));
    expect(again).toEqual([3]);
  });

  it("does not follow a deploy whose end it has seen", async () => {
    const storage = memoryStorage();
    let send: (m: FollowMessage) => void = () => {};
    const api = {
      followDeploy: vi.fn((_id: number, _after: number, onMessage: (m: FollowMessage) => void) => {
        send = onMessage;
        return Promise.resolve(() => {});
      }),
    };
    await followFeed(api, storage, 9, () => {});
    send({
      kind: "event",
      seq: 1,
      at: "2026-11-26T06:00:00.000Z",
      event: {
        type: "stage_finished",
        stage: "patch",
        outcome: { outcome: "succeeded", failed_tasks: 0, unready: [] },
      },
      line: "patch: succeeded",
    });
    send({ kind: "end" });

    let lines: string[] = [];
    await followFeed(api, storage, 9, (f) => (lines = f.lines));

    expect(api.followDeploy).toHaveBeenCalledTimes(1);
    expect(lines).toEqual(["patch: succeeded"]);
  });
});

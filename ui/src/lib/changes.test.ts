import { describe, expect, it } from "vitest";
import type { ChangeMessage } from "../ipc";
import { reloadOnChange, reloadWhileOpen } from "./changes";

function feed() {
  let send: (m: ChangeMessage) => void = () => {};
  const api = {
    followChanges: (onMessage: (m: ChangeMessage) => void) => {
      send = onMessage;
      return Promise.resolve(() => {});
    },
  };
  return { api, send: (m: ChangeMessage) => send(m) };
}

const progressed = (envId: string): ChangeMessage => ({
  kind: "change",
  change: { kind: "deployProgressed", envId, deployId: 1 },
});

describe("reloading on a change", () => {
  it("reloads for the changes that concern it and for a resync, never two at once", async () => {
    const { api, send } = feed();
    let loads = 0;
    let running = 0;
    let most = 0;
    let release: () => void = () => {};
    await reloadOnChange(
      api,
      (change) => change.envId === "ted1bc4",
      async () => {
        loads += 1;
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => (release = resolve));
        running -= 1;
      },
    );

    send(progressed("other"));
    expect(loads).toBe(0);
    send(progressed("ted1bc4"));
    // A burst while the first reload runs: one more reload after it, not three.
    send(progressed("ted1bc4"));
    send({ kind: "resync" });
    send(progressed("ted1bc4"));
    expect(loads).toBe(1);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(loads).toBe(2);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(loads).toBe(2);
    expect(most).toBe(1);
  });

  it("stops reloading once stopped", async () => {
    const { api, send } = feed();
    let loads = 0;
    const stop = await reloadOnChange(
      api,
      () => true,
      () => {
        loads += 1;
        return Promise.resolve();
      },
    );
    stop();
    send(progressed("ted1bc4"));
    expect(loads).toBe(0);
  });
});

describe("reloading while a screen is open", () => {
  it("subscribes, then loads once, and a screen closed first never loads", async () => {
    const order: string[] = [];
    let answer: (stop: () => void) => void = () => {};
    const stopped: string[] = [];
    const api = {
      followChanges: () => {
        order.push("subscribe");
        return new Promise<() => void>((resolve) => (answer = resolve));
      },
    };
    const load = () => {
      order.push("load");
      return Promise.resolve();
    };

    const close = reloadWhileOpen(
      api,
      () => true,
      load,
      () => {},
    );
    answer(() => stopped.push("open one"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual(["subscribe", "load"]);
    close();
    expect(stopped).toEqual(["open one"]);

    order.length = 0;
    const closeEarly = reloadWhileOpen(
      api,
      () => true,
      load,
      () => {},
    );
    closeEarly();
    answer(() => stopped.push("closed one"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual(["subscribe"]);
    expect(stopped).toEqual(["open one", "closed one"]);
  });
});

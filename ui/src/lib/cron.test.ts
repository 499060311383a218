// What describe.ts says of cron jobs and their runs.
import { describe, expect, it } from "vitest";
import type { DeployView } from "../ipc";
import { activity, deployLabel, until } from "./describe";

const run: Pick<DeployView, "stage" | "rollback" | "buildId" | "target"> = {
  stage: "cron",
  rollback: false,
  buildId: 2,
  target: "tick",
};

describe("a cron run", () => {
  it("is labelled with its cron job's name", () => {
    expect(deployLabel(run)).toEqual({ label: "tick", title: "Cron job tick" });
    expect(deployLabel({ ...run, target: null })).toEqual({
      label: "Cron job",
      title: "A cron job",
    });
  });

  it("is said as a cron job's run in what an environment is doing", () => {
    const idle = { stage: null, building: false, step: null, stepsDone: 0, queued: 0 };
    expect(activity({ ...idle, stage: "cron", step: "tick" })).toBe("cron job · step tick");
    expect(activity({ ...idle, stage: "cron", queued: 1 })).toBe(
      "cron job · starting, 1 deploy queued",
    );
  });
});

describe("times to come", () => {
  const now = Date.parse("2026-11-26T12:00:00.000Z");
  it("says how long until, roughly, and when it is due", () => {
    expect(until("2026-11-26T12:00:40.000Z", now)).toBe("in under a minute");
    expect(until("2026-11-26T12:12:30.000Z", now)).toBe("in 12 min");
    expect(until("2026-11-26T15:10:00.000Z", now)).toBe("in 3 h");
    expect(until("2026-12-01T13:00:00.000Z", now)).toBe("in 5 d");
    expect(until("2026-11-26T12:00:00.000Z", now)).toBe("due now");
    expect(until("2026-11-26T11:58:00.000Z", now)).toBe("due now");
  });
});

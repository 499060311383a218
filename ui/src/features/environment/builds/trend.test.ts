import { describe, expect, it } from "vitest";
import type { BuildView } from "../../../ipc";
import { buildTrend, labelled, scale } from "./trend";

function build(
  id: number,
  seconds: number | null,
  sizes: (number | null)[],
  status = "succeeded",
): BuildView {
  const start = Date.parse("2026-11-26T10:00:00Z") + id * 60_000;
  return {
    id,
    gitCommit: null,
    trigger: "test",
    status,
    startedAt: new Date(start).toISOString(),
    finishedAt: seconds === null ? null : new Date(start + seconds * 1000).toISOString(),
    images: sizes.map((sizeBytes, i) => ({
      service: `s${i}`,
      tag: `t${i}`,
      outcome: "built",
      sizeBytes,
      cacheHits: 0,
      reusedFromBuild: null,
      detail: null,
    })),
  } as BuildView;
}

describe("buildTrend", () => {
  it("draws the newest builds oldest first with their duration and total size", () => {
    const trend = buildTrend([build(3, 2, [10, 20]), build(1, 5, [5]), build(2, 1, [null, 7])], 0);
    expect(trend.points.map((p) => p.id)).toEqual([1, 2, 3]);
    expect(trend.points.map((p) => p.durationMs)).toEqual([5000, 1000, 2000]);
    expect(trend.points.map((p) => p.sizeBytes)).toEqual([5, 7, 30]);
    expect(trend.maxDurationMs).toBe(5000);
    expect(trend.maxSizeBytes).toBe(30);
  });

  it("keeps only the newest builds and counts a running one until now", () => {
    const builds = Array.from({ length: 50 }, (_, i) => build(i + 1, 1, [1]));
    const running = build(51, null, [null]);
    const now = Date.parse(running.startedAt) + 9000;
    const trend = buildTrend([...builds, running], now, 40);
    expect(trend.points).toHaveLength(40);
    expect(trend.points[0]?.id).toBe(12);
    expect(trend.points.at(-1)).toMatchObject({ id: 51, durationMs: 9000, sizeBytes: null });
  });

  it("is empty without builds", () => {
    expect(buildTrend([], 0)).toEqual({ points: [], maxDurationMs: 0, maxSizeBytes: 0 });
  });
});

describe("scale and labels", () => {
  it("scales within the axis and never past it", () => {
    expect(scale(5, 10, 100)).toBe(50);
    expect(scale(20, 10, 100)).toBe(100);
    expect(scale(3, 0, 100)).toBe(0);
  });

  it("labels about eight builds, always the newest", () => {
    expect([...labelled(3)].sort()).toEqual([0, 1, 2]);
    const many = labelled(40);
    expect(many.has(39)).toBe(true);
    expect(many.size).toBeLessThanOrEqual(8);
  });
});

import type { BuildView } from "../../../ipc";
import { elapsed } from "../../../lib/describe";

/** One build on the chart: how long it took and how big its images are. */
export type TrendPoint = {
  id: number;
  status: string;
  durationMs: number;
  /** The images' total size; null when none of its images has a size yet. */
  sizeBytes: number | null;
};

export type Trend = {
  points: TrendPoint[];
  maxDurationMs: number;
  maxSizeBytes: number;
};

/**
 * The newest `limit` builds, oldest first, as the chart draws them. A build still running
 * counts until `now`; sizes add up every image the build has, built or reused, since that is
 * what the environment runs.
 */
export function buildTrend(builds: BuildView[], now: number, limit = 40): Trend {
  const points = [...builds]
    .sort((a, b) => a.id - b.id)
    .slice(-limit)
    .map((build) => {
      const sizes = build.images.map((i) => i.sizeBytes).filter((s): s is number => s !== null);
      return {
        id: build.id,
        status: build.status,
        durationMs: elapsed(build.startedAt, build.finishedAt, now),
        sizeBytes: sizes.length === 0 ? null : sizes.reduce((a, b) => a + b, 0),
      };
    });
  return {
    points,
    maxDurationMs: Math.max(0, ...points.map((p) => p.durationMs)),
    maxSizeBytes: Math.max(0, ...points.map((p) => p.sizeBytes ?? 0)),
  };
}

/** Where a value sits on an axis of `length` going up from `base`: 0 at the base. */
export function scale(value: number, max: number, length: number): number {
  if (max <= 0) return 0;
  return (Math.min(value, max) / max) * length;
}

/** Which builds get a label under the axis: about `labels` of them, always the newest. */
export function labelled(count: number, labels = 8): Set<number> {
  const every = Math.max(1, Math.ceil(count / labels));
  const out = new Set<number>();
  for (let i = count - 1; i >= 0; i -= every) out.add(i);
  return out;
}

/**
 * Where a queued job stands, and when it should start. Jobs are spread over `QUEUE_SHARDS` shards; each shard hands
 * out its own queued jobs oldest first, and runners sweep the shards from a random start, so there is no single global
 * order: a job's **position** is its place among the queued jobs of its own shard (1 = the next one this shard hands
 * out), and jobs in other shards start in parallel with it, not before or after it. The **estimate** comes from the
 * shard's measured drain rate: the mean time between two leases of this shard while it still had jobs waiting, so it
 * already accounts for how many runners there are and how they share their sweeps among the shards. It is an
 * estimate: a job may start sooner when runners free up, later when a job ahead is retried or runners leave, and a
 * runner that serves only some tasks may take a later job first.
 */

/** A shard's drain measurement, kept in its storage and updated on every lease. */
export interface DrainStats {
  /** When this shard last handed out a job (epoch ms), or null before the first lease. */
  lastLeaseAt: number | null;
  /** Whether jobs were still queued right after that lease (so the time to the next one measures the drain rate). */
  backlogged: boolean;
  /** Exponentially weighted mean time between leases while backlogged (ms), or null before the first sample. */
  intervalMs: number | null;
  /** How many intervals were measured. */
  samples: number;
}

/** A queued job's place, as clients see it. */
export interface QueuePlace {
  /** 1-based position among the queued jobs of the job's shard, in the order they are handed out. */
  position: number;
  /** When the job should start (epoch ms), or null while the shard has not measured its drain rate yet. */
  estimatedStartAt: number | null;
  /** The measured mean time between starts in this shard (ms), or null. */
  startIntervalMs: number | null;
}

/** Weight of a new sample in the mean: about the last ten leases count. */
const SMOOTHING = 0.2;

/** The stats of a shard that has never handed out a job. */
export const NO_DRAIN_STATS: DrainStats = { lastLeaseAt: null, backlogged: false, intervalMs: null, samples: 0 };

/**
 * The stats after a lease at `now` that left `queuedAfter` jobs waiting: when the shard was backlogged since the
 * previous lease, the time since it is a sample of the drain interval.
 * @example afterLease({ lastLeaseAt: 1000, backlogged: true, intervalMs: null, samples: 0 }, 3000, 2).intervalMs // 2000
 */
export function afterLease(stats: DrainStats, now: number, queuedAfter: number): DrainStats {
  let { intervalMs, samples } = stats;
  if (stats.backlogged && stats.lastLeaseAt !== null) {
    const sample = Math.max(0, now - stats.lastLeaseAt);
    intervalMs = intervalMs === null ? sample : intervalMs + SMOOTHING * (sample - intervalMs);
    samples++;
  }
  return { lastLeaseAt: now, backlogged: queuedAfter > 0, intervalMs, samples };
}

/**
 * The place of the job at `position` at time `now`: the next lease is due one interval after the last (at once when
 * that is already past), and each job ahead takes one more interval.
 */
export function queuePlace(stats: DrainStats, position: number, now: number): QueuePlace {
  if (stats.intervalMs === null || stats.lastLeaseAt === null) {
    return { position, estimatedStartAt: null, startIntervalMs: null };
  }
  const nextDue = Math.max(now, stats.lastLeaseAt + stats.intervalMs);
  return {
    position,
    estimatedStartAt: Math.round(nextDue + (position - 1) * stats.intervalMs),
    startIntervalMs: Math.round(stats.intervalMs),
  };
}

import { describe, expect, it } from 'vitest';
import { afterLease, NO_DRAIN_STATS, queuePlace } from './place-estimate';

describe('queue place', () => {
  it('measures the drain interval only between leases of a backlogged shard', () => {
    let stats = afterLease(NO_DRAIN_STATS, 1_000, 2);
    expect(stats).toEqual({ lastLeaseAt: 1_000, backlogged: true, intervalMs: null, samples: 0 });
    stats = afterLease(stats, 3_000, 1);
    expect(stats).toMatchObject({ intervalMs: 2_000, samples: 1 });
    stats = afterLease(stats, 4_000, 0);
    // 2000 + 0.2 * (1000 - 2000)
    expect(stats).toMatchObject({ intervalMs: 1_800, samples: 2, backlogged: false });
    // The queue ran dry: the idle time before the next job arrived is not a drain interval.
    stats = afterLease(stats, 60_000, 0);
    expect(stats).toMatchObject({ intervalMs: 1_800, samples: 2, lastLeaseAt: 60_000 });
  });

  it('estimates: next due one interval after the last lease (or now when overdue), one interval per job ahead', () => {
    expect(queuePlace(NO_DRAIN_STATS, 3, 5_000)).toEqual({
      position: 3,
      estimatedStartAt: null,
      startIntervalMs: null,
    });
    const stats = { lastLeaseAt: 10_000, backlogged: true, intervalMs: 2_000, samples: 4 };
    expect(queuePlace(stats, 1, 10_500)).toEqual({ position: 1, estimatedStartAt: 12_000, startIntervalMs: 2_000 });
    expect(queuePlace(stats, 3, 10_500).estimatedStartAt).toBe(16_000);
    // Overdue: the next lease is due now.
    expect(queuePlace(stats, 2, 20_000).estimatedStartAt).toBe(22_000);
  });
});

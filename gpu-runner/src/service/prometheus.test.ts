import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from './prometheus.js';

describe('Prometheus text format', () => {
  it('renders counters, gauges and cumulative histograms with sorted, escaped labels', () => {
    const r = new Registry();
    const c = r.register(new Counter('jobs_total', 'Jobs.'));
    const g = r.register(new Gauge('mem_bytes', 'Memory.', (set) => set({ area: 'rss' }, 42)));
    const h = r.register(new Histogram('step_seconds', 'Steps.', [0.1, 1]));
    c.inc({ task: 't', outcome: 'ok' });
    c.inc({ outcome: 'ok', task: 't' }, 2);
    c.inc({ outcome: 'bad "x"\n', task: 't' });
    g.set({}, 1);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(r.render()).toBe(
      [
        '# HELP jobs_total Jobs.',
        '# TYPE jobs_total counter',
        'jobs_total{outcome="ok",task="t"} 3',
        'jobs_total{outcome="bad \\"x\\"\\n",task="t"} 1',
        '# HELP mem_bytes Memory.',
        '# TYPE mem_bytes gauge',
        'mem_bytes 1',
        'mem_bytes{area="rss"} 42',
        '# HELP step_seconds Steps.',
        '# TYPE step_seconds histogram',
        'step_seconds_bucket{le="0.1"} 1',
        'step_seconds_bucket{le="1"} 2',
        'step_seconds_bucket{le="+Inf"} 3',
        'step_seconds_sum 5.55',
        'step_seconds_count 3',
        '',
      ].join('\n'),
    );
  });
});

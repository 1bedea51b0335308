import { describe, expect, it } from 'vitest';
import { MemoryBudget, MemoryBudgetError } from './memory-budget.js';

const MiB = 1024 ** 2;

describe('MemoryBudget', () => {
  it('refuses what does not fit, naming the sizes, and frees on release', () => {
    const budget = new MemoryBudget(4096 * MiB, 512 * MiB);
    budget.reserve('unet', 2400 * MiB);
    expect(() => budget.reserve('prior', 1300 * MiB)).toThrow(MemoryBudgetError);
    expect(() => budget.reserve('prior', 1300 * MiB)).toThrow(
      'cannot load prior (1300.0 MiB): the backend holds at most 4096.0 MiB, 512.0 MiB is kept for activations, and unet 2400.0 MiB is already loaded (1184.0 MiB free).',
    );
    budget.reserve('movq', 100 * MiB);
    expect(budget.usedBytes).toBe(2500 * MiB);
    budget.release('unet');
    budget.reserve('prior', 1300 * MiB);
    expect(budget.usedBytes).toBe(1400 * MiB);
  });

  it('never refuses on an unbounded backend', () => {
    const budget = new MemoryBudget(Number.POSITIVE_INFINITY);
    budget.reserve('unet', 5e9);
    budget.reserve('prior', 4e9);
    expect(budget.usedBytes).toBe(9e9);
  });
});

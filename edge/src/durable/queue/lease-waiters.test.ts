import { describe, expect, it } from 'vitest';
import { LeaseWaiters } from './lease-waiters';

describe('LeaseWaiters', () => {
  it('wakes one waiter that takes the task, not the others', async () => {
    const waiters = new LeaseWaiters();
    const woken: string[] = [];
    const inpaintOnly = waiters.wait(new Set(['inpaint']), 200).then(() => woken.push('inpaint-only'));
    const any1 = waiters.wait(null, 200).then(() => woken.push('any-1'));
    const any2 = waiters.wait(null, 200).then(() => woken.push('any-2'));
    waiters.wakeOne('text2image');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(woken).toEqual(['any-1']);
    await Promise.all([inpaintOnly, any1, any2]);
    expect(woken).toEqual(['any-1', 'inpaint-only', 'any-2']);
  });
});

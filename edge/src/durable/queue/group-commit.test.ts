import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('handles the calls of one tick in one turn, in order, each with its own answer or error', async () => {
    const turns: number[][] = [];
    let turn: number[] | null = null;
    const commit = new GroupCommit((n: number) => {
      if (!turn) {
        turn = [];
        turns.push(turn);
        queueMicrotask(() => {
          turn = null;
        });
      }
      turn.push(n);
      if (n === 3) throw new Error('three');
      return n * 10;
    });
    const answers = await Promise.allSettled([1, 2, 3, 4].map((n) => commit.submit(n)));
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message))).toEqual([
      10,
      20,
      'three',
      40,
    ]);
    expect(turns).toEqual([[1, 2, 3, 4]]);
  });
});

import { describe, expect, it } from 'vitest';
import { resolveSize, roundUpTo64 } from './generation';

describe('resolveSize', () => {
  it('rounds each side up to a multiple of 64 like the reference pipeline', () => {
    expect(roundUpTo64(500)).toBe(512);
    expect(resolveSize({ size: '500x300' })).toEqual({ width: 512, height: 320 });
    expect(resolveSize({ width: 768, height: 65 })).toEqual({ width: 768, height: 128 });
    expect(resolveSize({})).toEqual({ width: 512, height: 512 });
  });

  it('refuses conflicting and out-of-range sizes', () => {
    expect(resolveSize({ size: '512x512', width: 512 })).toMatchObject({ param: 'size' });
    expect(resolveSize({ size: '2048x512' })).toMatchObject({ param: 'size' });
    expect(resolveSize({ size: '32x512' })).toMatchObject({ param: 'size' });
  });
});

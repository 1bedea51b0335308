import { describe, expect, it } from 'vitest';
import { parsePreferWait } from './prefer-wait';

describe('parsePreferWait', () => {
  it('reads wait=N among other preferences and clamps it', () => {
    expect(parsePreferWait('wait=5')).toBe(5);
    expect(parsePreferWait('respond-async, wait=10')).toBe(10);
    expect(parsePreferWait('wait=3600')).toBe(60);
  });

  it('ignores absent or malformed preferences', () => {
    expect(parsePreferWait(undefined)).toBeNull();
    expect(parsePreferWait('wait=abc')).toBeNull();
    expect(parsePreferWait('handling=strict')).toBeNull();
  });
});

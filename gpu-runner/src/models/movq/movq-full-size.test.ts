import { describe, expect, it } from 'vitest';
import { checkFullSize, fullSizeParameterCount } from '../../../test/helpers/full-keys.js';

describe('MoVQ full-size structure (no weights allocated)', () => {
  it('maps every key and shape of the real checkpoint 1:1 and has its exact parameter count', () => {
    const { problem, parameters } = checkFullSize('movq');
    expect(problem).toBeUndefined();
    expect(parameters).toBe(fullSizeParameterCount('movq'));
    expect(parameters).toBe(67_832_495);
  });
});

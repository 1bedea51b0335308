import { describe, expect, it } from 'vitest';
import { checkFullSize, fullSizeParameterCount } from '../../../test/helpers/full-keys.js';

describe('PriorTransformer full-size structure (no weights allocated)', () => {
  it('maps every key and shape of the real checkpoint 1:1 and has its exact parameter count', () => {
    const { problem, parameters } = checkFullSize('prior');
    expect(problem).toBeUndefined();
    expect(parameters).toBe(fullSizeParameterCount('prior'));
    expect(parameters).toBe(1_022_030_080);
  });
});

import { describe, expect, it } from 'vitest';
import { checkFullSize, fullSizeKeys, fullSizeParameterCount } from '../../../test/helpers/full-keys.js';

/**
 * The full-size key lists (transformers 4.38 state dicts) hold no `position_ids` buffers: 4.38 registers them as
 * non-persistent, so there is nothing to map or declare for them.
 */
describe('text/image encoders full-size structure (no weights allocated)', () => {
  const cases = [
    { name: 'text_encoder', parameters: 560_677_632, keys: 393 },
    { name: 'image_encoder', parameters: 303_966_208, keys: 392 },
    { name: 'prior_text_encoder', parameters: 123_650_304, keys: 197 },
  ];
  for (const { name, parameters, keys } of cases) {
    it(`${name}: maps all ${keys} reference keys and shapes 1:1 with exactly ${parameters.toLocaleString('en')} parameters`, () => {
      const reference = fullSizeKeys(name);
      expect(reference.size).toBe(keys);
      expect([...reference.keys()].filter((k) => k.includes('position_ids'))).toEqual([]);
      const { problem, parameters: counted, plan } = checkFullSize(name);
      expect(problem).toBeUndefined();
      expect(plan.kind).toBe(name);
      expect(counted).toBe(fullSizeParameterCount(name));
      expect(counted).toBe(parameters);
    });
  }

  it('declares exactly the XLM-R pooler as unused (present in the checkpoint, never read by MultilingualCLIP)', () => {
    const { plan } = checkFullSize('text_encoder');
    expect(plan.unusedKeys).toEqual(['transformer.pooler.dense.weight', 'transformer.pooler.dense.bias']);
    expect(checkFullSize('image_encoder').plan.unusedKeys).toEqual([]);
    expect(checkFullSize('prior_text_encoder').plan.unusedKeys).toEqual([]);
  });
});

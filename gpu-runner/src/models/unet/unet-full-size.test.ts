import { describe, expect, it } from 'vitest';
import { checkFullSize, fullSizeParameterCount } from '../../../test/helpers/full-keys.js';

describe('U-Net full-size structure (no weights allocated)', () => {
  it('text-to-image U-Net: maps every key and shape of the real checkpoint 1:1 and has its exact parameter count', () => {
    const { problem, parameters } = checkFullSize('unet');
    expect(problem).toBeUndefined();
    expect(parameters).toBe(fullSizeParameterCount('unet'));
    expect(parameters).toBe(1_228_661_768);
  });

  it('inpainting U-Net (in_channels 9): maps every key and shape 1:1 and has its exact parameter count', () => {
    const { problem, parameters } = checkFullSize('unet_inpaint');
    expect(problem).toBeUndefined();
    expect(parameters).toBe(fullSizeParameterCount('unet_inpaint'));
    expect(parameters).toBe(1_228_679_048);
  });
});

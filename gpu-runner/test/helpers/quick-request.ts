import type { GenerationParams } from '../../src/pipelines/generation-request.js';

/**
 * A small, fast text2image request on the tiny models (64x64, two prior and two decoder steps; the default
 * guidance, so both guidance batches run), with `over` applied on top.
 */
export function quickRequest(over: Partial<GenerationParams> = {}): GenerationParams {
  return {
    task: 'text2image',
    prompt: 'a red cat, 4k photo',
    width: 64,
    height: 64,
    seed: 0,
    steps: 2,
    prior_steps: 2,
    ...over,
  };
}

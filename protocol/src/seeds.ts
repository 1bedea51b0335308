import { GENERATION_LIMITS } from './limits.js';

/**
 * The seed of image `index` of a request seeded with `seed`: `(seed + index) mod 2^32`. Image i of a request is the
 * image a request with `n: 1` and this seed gives, and it is the seed reported with the image. Wrapping keeps every
 * seed in [0, 2^32) valid with every `n` (the generator takes a uint32).
 * @example imageSeed(4294967295, 1) // 0
 */
export function imageSeed(seed: number, index: number): number {
  return (seed + index) % (GENERATION_LIMITS.maxSeed + 1);
}

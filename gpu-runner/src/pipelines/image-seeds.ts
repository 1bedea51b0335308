import { imageSeed } from '@kandinsky/protocol';
import type { NoiseSource } from '../random/noise-source.js';
import { PerImageNoise } from '../random/per-image-noise.js';
import { SeededNoise } from '../random/seeded-noise.js';

/**
 * The seed of each image of a request: image `i` gets `imageSeed(seed, i)`, so it can be made again alone. The one
 * place seeds are derived: the same list seeds the noise and is reported with the images.
 */
export function imageSeeds({ seed, n }: { seed: number; n: number }): number[] {
  return Array.from({ length: n }, (_, i) => imageSeed(seed, i));
}

/** One noise stream per image, shared by its prior and decoder (as the reference's combined pipelines share one). */
export function seededNoise(seeds: readonly number[]): NoiseSource {
  return new PerImageNoise(seeds.map((seed) => new SeededNoise(seed)));
}

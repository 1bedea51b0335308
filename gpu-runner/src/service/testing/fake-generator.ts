import type { GenerateOptions, GenerationRequest, ImageGenerator, RgbImage } from '../image-generator.js';
import { GenerationAbortedError } from '../image-generator.js';

/**
 * A stand-in generator for service tests: paints each image a flat colour derived from its seed, reports `steps`
 * progress events `stepMs` apart, and stops between steps when aborted. It records every batch it was given.
 */
export class FakeGenerator implements ImageGenerator {
  readonly description = 'fake generator (tests)';
  readonly batches: GenerationRequest[][] = [];
  /** Set to make the next generate() throw this error. */
  failWith?: Error;

  constructor(private readonly stepMs = 5) {}

  async generate(batch: GenerationRequest[], opts: GenerateOptions = {}): Promise<RgbImage[][]> {
    this.batches.push(batch);
    if (this.failWith) throw this.failWith;
    const steps = batch[0].params.steps;
    for (let step = 1; step <= steps; step++) {
      await new Promise((r) => setTimeout(r, this.stepMs));
      if (opts.signal?.aborted) throw new GenerationAbortedError('generation aborted');
      opts.onProgress?.({ stage: 'decoder', step, total_steps: steps });
    }
    return batch.map((req) =>
      Array.from({ length: req.params.n }, (_, i) =>
        flatImage(req.params.width, req.params.height, req.params.seed + i),
      ),
    );
  }

  async warmup(): Promise<void> {}
  dispose(): void {}
}

/** A `width x height` image filled with a colour made from `seed`. */
export function flatImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = seed & 255;
    data[i + 1] = (seed >> 8) & 255;
    data[i + 2] = 128;
  }
  return { width, height, data };
}

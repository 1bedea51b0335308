import { PNG } from 'pngjs';
import type { GeneratedImage, GenerateOptions, GenerationRequest, ImageGenerator } from '../image-generator.js';
import { GenerationAbortedError, InvalidRequestError } from '../image-generator.js';

/**
 * A stand-in generator for service tests: paints each image a flat colour derived from its seed and encodes it as PNG,
 * reports `steps` progress events `stepMs` apart, and stops between steps when aborted. It records every batch.
 * Only PNG output is supported (others are refused as the real pipelines refuse unknown formats).
 */
export class FakeGenerator implements ImageGenerator {
  readonly description = 'fake generator (tests)';
  readonly batches: GenerationRequest[][] = [];
  /** Set to make the next generate() throw this error. */
  failWith?: Error;

  constructor(private readonly stepMs = 5) {}

  async generate(batch: GenerationRequest[], opts: GenerateOptions = {}): Promise<GeneratedImage[][]> {
    this.batches.push(batch);
    if (this.failWith) throw this.failWith;
    for (const req of batch) {
      if (req.params.output_format !== 'png')
        throw new InvalidRequestError(
          `output_format ${req.params.output_format} is not supported`,
          'unsupported_output_format',
        );
    }
    const steps = batch[0].params.steps;
    for (let step = 1; step <= steps; step++) {
      await new Promise((r) => setTimeout(r, this.stepMs));
      if (opts.signal?.aborted) throw new GenerationAbortedError('generation aborted');
      opts.onProgress?.({ stage: 'decoder', step, total_steps: steps });
    }
    return batch.map((req) =>
      Array.from({ length: req.params.n }, (_, i) => flatPng(req.params.width, req.params.height, req.params.seed + i)),
    );
  }

  async warmup(): Promise<void> {}
  dispose(): void {}
}

/** A `width x height` PNG filled with a colour made from `seed`. */
export function flatPng(width: number, height: number, seed: number): GeneratedImage {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = seed & 255;
    png.data[i + 1] = (seed >> 8) & 255;
    png.data[i + 2] = 128;
    png.data[i + 3] = 255;
  }
  return { bytes: new Uint8Array(PNG.sync.write(png)), width, height, contentType: 'image/png' };
}

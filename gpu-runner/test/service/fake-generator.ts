import { imageSeed } from '@kandinsky/protocol';
import { PNG } from 'pngjs';
import { batchKey } from '../../src/pipelines/batch-shape.js';
import type { GeneratedImage } from '../../src/pipelines/generated-images.js';
import type { GenerationRequest } from '../../src/pipelines/generation-request.js';
import { GenerationCancelledError } from '../../src/pipelines/pipeline-errors.js';
import type {
  GeneratedBatch,
  GeneratorControl,
  ImageGenerator,
  PreparedJob,
} from '../../src/service/image-generator.js';
import { JobRefusedError } from '../../src/service/job-failure.js';

/** A request the fake generator prepared. */
export interface FakePrepared extends PreparedJob {
  request: GenerationRequest;
}

/**
 * A stand-in generator for service tests: paints each image a flat colour derived from its seed and encodes it as PNG,
 * reports `steps` progress events `stepMs` apart, makes a (darker) preview at each of `preview_steps`, and stops
 * between steps when aborted. It records every prepared
 * request and every batch. Only PNG output is supported (others are refused in `prepare`, as the real pipelines refuse
 * what they cannot do). Seams for fault tests: `failWith` makes the next `generate` throw; a request whose prompt
 * includes `poison` is refused in `prepare` (`invalid_image`), and one whose prompt includes `crash` breaks any
 * batch it is part of (`Error`).
 */
export class FakeGenerator implements ImageGenerator<FakePrepared> {
  readonly description = 'fake generator (tests)';
  readonly tasks = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
  readonly prepared: GenerationRequest[] = [];
  readonly batches: GenerationRequest[][] = [];
  /** Set to make the next generate() throw this error. */
  failWith?: Error;

  constructor(private readonly stepMs = 5) {}

  async prepare(request: GenerationRequest): Promise<FakePrepared> {
    this.prepared.push(request);
    const prompt = 'prompt' in request.params ? (request.params.prompt ?? '') : '';
    if (prompt.includes('poison')) throw new JobRefusedError('invalid_image', 'image: poisoned (test seam)');
    if (request.params.output_format !== 'png') {
      throw new JobRefusedError('invalid_request', `output_format ${request.params.output_format} is not supported`);
    }
    return { request, batchKey: batchKey(request) };
  }

  async generate(batch: FakePrepared[], control: GeneratorControl = {}): Promise<GeneratedBatch> {
    const requests = batch.map((item) => item.request);
    this.batches.push(requests);
    if (this.failWith) throw this.failWith;
    const started = Date.now();
    const steps = requests[0].params.steps;
    const previews = new Set(requests[0].params.preview_steps ?? []);
    for (let step = 1; step <= steps; step++) {
      await new Promise((r) => setTimeout(r, this.stepMs));
      if (control.signal?.aborted) throw new GenerationCancelledError('decoder');
      control.onProgress?.({ stage: 'decoder', step, totalSteps: steps });
      if (previews.has(step) && control.onPreview) {
        // A preview is the final colour darkened by how far the run still has to go.
        for (const [request, { params }] of requests.entries()) {
          const images = Array.from({ length: params.n }, (_, i) =>
            flatPng(params.width, params.height, imageSeed(params.seed, i), step / steps),
          );
          await control.onPreview({ request, step, totalSteps: steps, images });
        }
      }
    }
    if (requests.some((r) => 'prompt' in r.params && r.params.prompt?.includes('crash'))) {
      throw new Error('a crash inside the shared pass (test seam)');
    }
    const images = requests.map(({ params }) =>
      Array.from({ length: params.n }, (_, i) => flatPng(params.width, params.height, imageSeed(params.seed, i))),
    );
    return { images, timingsMs: { decoder: Date.now() - started, total: Date.now() - started } };
  }

  async warmup(): Promise<void> {}
  dispose(): void {}
}

/** A `width x height` PNG filled with a colour made from `seed` (times `brightness`, for previews). */
export function flatPng(width: number, height: number, seed: number, brightness = 1): GeneratedImage {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = Math.round((seed & 255) * brightness);
    png.data[i + 1] = Math.round(((seed >> 8) & 255) * brightness);
    png.data[i + 2] = Math.round(128 * brightness);
    png.data[i + 3] = 255;
  }
  return { bytes: new Uint8Array(PNG.sync.write(png)), width, height, contentType: 'image/png', seed };
}

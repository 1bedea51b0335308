import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageInputError } from '../image/image-errors.js';
import { KandinskyPipelines } from '../pipelines/kandinsky-pipelines.js';
import { GenerationCancelledError, PipelineParamError } from '../pipelines/pipeline-errors.js';
import type { ProgressEvent } from '../pipelines/progress.js';
import { budgetForBackend } from '../tf/memory-budget.js';
import {
  type GeneratedImage,
  type GenerateOptions,
  GenerationAbortedError,
  type GenerationRequest,
  type ImageGenerator,
  InvalidRequestError,
} from './image-generator.js';
import { verifyModelFolder } from './model-folder-check.js';
import type { GeneratorFactory } from './runner-service.js';

/** Component folders a model must hold; `unet_inpaint` is optional (inpainting is refused without it). */
export const REQUIRED_COMPONENTS = [
  'prior_text_encoder',
  'prior',
  'image_encoder',
  'text_encoder',
  'unet',
  'movq',
] as const;

/**
 * The production generator: the Kandinsky 2.1 pipelines over a converted model folder. The folder is checked first
 * (every file against its component.json checksums, one message naming every problem), then loaded within the
 * backend's memory budget. A batch of text2image jobs runs as one pass (`KandinskyPipelines.generateMany`: one prior
 * and one U-Net call per step for every image of every job); other tasks' batches run one job after the other.
 */
export const createKandinskyGenerator: GeneratorFactory = async (modelDir, { log, backend }) => {
  const summary = await verifyModelFolder(modelDir, REQUIRED_COMPONENTS);
  log.info('model folder verified', {
    dir: modelDir,
    components: Object.keys(summary.components),
    bytes: summary.bytes,
  });
  // Checksums were just verified; hashing every file a second time would only slow the start down.
  const pipelines = await KandinskyPipelines.load(modelDir, {
    budget: budgetForBackend(backend.memoryLimitBytes),
    verifyChecksums: false,
  });
  const random = await readFile(join(modelDir, 'random-model.json'), 'utf8').then(
    () => true,
    () => false,
  );
  const description = random ? 'kandinsky-2.1 small config, RANDOM weights (noise-like images)' : 'kandinsky-2.1';
  return new PipelinesGenerator(pipelines, description);
};

class PipelinesGenerator implements ImageGenerator {
  constructor(
    private readonly pipelines: KandinskyPipelines,
    readonly description: string,
  ) {}

  async generate(batch: GenerationRequest[], opts: GenerateOptions = {}): Promise<GeneratedImage[][]> {
    const control = {
      signal: opts.signal,
      onProgress: (e: ProgressEvent) => opts.onProgress?.({ stage: e.stage, step: e.step, total_steps: e.totalSteps }),
    };
    if (batch.length > 1 && batch.every((r) => r.task === 'text2image')) {
      // The worker batched these by shape (`batchKey`), which implies the pipelines' own shape check passes.
      try {
        const results = await this.pipelines.generateMany(
          batch.map((r) => ({ ...r.params, task: r.task })),
          control,
        );
        return results.map((result) => result.images.map(toGeneratedImage));
      } catch (err) {
        throw translate(
          err,
          batch.map((r) => r.jobId),
        );
      }
    }
    const out: GeneratedImage[][] = [];
    for (const request of batch) {
      try {
        const result = await this.pipelines.generate({ ...request.params, task: request.task }, control);
        out.push(result.images.map(toGeneratedImage));
      } catch (err) {
        throw translate(err, [request.jobId]);
      }
    }
    return out;
  }

  async warmup(): Promise<void> {
    await this.pipelines.generate({
      task: 'text2image',
      prompt: 'warm-up',
      width: 64,
      height: 64,
      steps: 2,
      prior_steps: 2,
      seed: 0,
    });
  }

  dispose(): void {
    this.pipelines.dispose();
  }
}

function toGeneratedImage({ bytes, width, height, contentType }: GeneratedImage): GeneratedImage {
  return { bytes, width, height, contentType };
}

/** Maps the pipelines' errors onto the runner's: refusals are not retried, cancellations stop quietly. */
function translate(err: unknown, jobIds: readonly string[]): unknown {
  const jobs = `${jobIds.length === 1 ? 'job' : 'jobs'} ${jobIds.join(', ')}`;
  if (err instanceof PipelineParamError) return new InvalidRequestError(`${jobs}: ${err.message}`, 'invalid_parameter');
  if (err instanceof ImageInputError) return new InvalidRequestError(`${jobs}: ${err.message}`, `image_${err.code}`);
  if (err instanceof GenerationCancelledError) return new GenerationAbortedError(err.message);
  return err;
}

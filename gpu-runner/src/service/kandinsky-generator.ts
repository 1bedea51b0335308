import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TASKS } from '@kandinsky/protocol';
import { KandinskyPipelines, type PreparedGeneration } from '../pipelines/kandinsky-pipelines.js';
import { REQUIRED_COMPONENTS } from '../pipelines/model-folder-layout.js';
import { budgetForBackend } from '../tf/memory-budget.js';
import type { ImageGenerator } from './image-generator.js';
import { verifyModelFolder } from './model-folder-check.js';
import type { GeneratorFactory } from './runner-service.js';

/**
 * The production generator: the Kandinsky 2.1 pipelines over a converted model folder. The folder is checked first
 * (every file against its component.json checksums, one message naming every problem), then loaded within the
 * backend's memory budget. A batch of text2image jobs runs as one pass (`KandinskyPipelines.run`: one prior and one
 * U-Net call per step for every image of every job).
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
  return pipelinesGenerator(pipelines, description);
};

/** The pipelines as the runner's {@link ImageGenerator}: prepare and run map one to one. */
export function pipelinesGenerator(
  pipelines: KandinskyPipelines,
  description: string,
): ImageGenerator<PreparedGeneration> {
  return {
    description,
    tasks: pipelines.canInpaint ? TASKS : TASKS.filter((task) => task !== 'inpaint'),
    prepare: (request) => pipelines.prepare(request),
    generate: async (batch, control) => {
      const results = await pipelines.run(batch, control);
      // One pass: every result carries the same (the batch's) timings.
      return { images: results.map((result) => result.images), timingsMs: results[0].timingsMs };
    },
    warmup: async () => {
      await pipelines.generate({
        task: 'text2image',
        prompt: 'warm-up',
        size: '64x64',
        steps: 2,
        prior_steps: 2,
        seed: 0,
      });
    },
    dispose: () => pipelines.dispose(),
  };
}

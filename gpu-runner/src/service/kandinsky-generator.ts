import type { GeneratorFactory } from './runner-service.js';

/**
 * The production generator: the Kandinsky 2.1 pipelines over a converted model folder.
 * The pipelines facade (gpu-runner/src/pipelines) is not in this build yet, so this refuses explicitly.
 */
export const createKandinskyGenerator: GeneratorFactory = async () => {
  throw new Error(
    'the Kandinsky pipelines (gpu-runner/src/pipelines) are not part of this build yet; the runner cannot generate',
  );
};

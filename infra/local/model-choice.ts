import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildRandomModel } from '../../gpu-runner/src/service/random-model/build-random-model.js';
import { withLock } from './lock.js';

/** Which model the local stack serves. */
export interface ModelChoice {
  /** Value for the runner's KANDINSKY_WEIGHTS. */
  weights: string;
  kind: 'real' | 'random';
  /** One sentence for the banner. */
  note: string;
}

/** Where `kandinsky convert` output is looked for when KANDINSKY_WEIGHTS is not set. */
export const DEFAULT_CONVERTED_DIR = join('models', 'kandinsky-2.1');

/**
 * Picks the model: `KANDINSKY_WEIGHTS` if set (folder or s3://), else the converter's output in `models/kandinsky-2.1`
 * when it holds converted components, else a small model of the same architecture with random weights, built once
 * through the real converter and cached under `<stateDir>/random-model`.
 */
export async function chooseModel(root: string, stateDir: string, log: (line: string) => void): Promise<ModelChoice> {
  const fromEnv = process.env.KANDINSKY_WEIGHTS;
  if (fromEnv)
    return { weights: fromEnv, kind: 'real', note: `Serving the converted model from KANDINSKY_WEIGHTS=${fromEnv}.` };
  const converted = resolve(root, DEFAULT_CONVERTED_DIR);
  if (await hasComponents(converted)) {
    return { weights: converted, kind: 'real', note: `Serving the converted model in ${DEFAULT_CONVERTED_DIR}.` };
  }
  // Stacks started together share this cache: one builds, the others wait and reuse the build.
  await mkdir(stateDir, { recursive: true });
  const built = await withLock(join(stateDir, 'random-model.lock'), () =>
    buildRandomModel(join(stateDir, 'random-model'), { log }),
  );
  return {
    weights: built.dir,
    kind: 'random',
    note:
      `No converted weights found (set KANDINSKY_WEIGHTS or convert into ${DEFAULT_CONVERTED_DIR}): serving a SMALL RANDOM-WEIGHT ` +
      `model of the Kandinsky 2.1 architecture (${built.parameterCount.toLocaleString('en-US')} parameters). ` +
      'Images will be noise-like because the weights are random.',
  };
}

async function hasComponents(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (
      await stat(join(dir, name, 'component.json')).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

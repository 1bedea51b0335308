import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFileError } from './errors.js';

/** What a subfolder of a diffusers pipeline folder holds, as far as conversion cares. */
export type SubfolderRole = 'model' | 'scheduler' | 'tokenizer' | 'image_processor' | 'unknown';

/** One entry of `model_index.json`, e.g. `"unet": ["diffusers", "UNet2DConditionModel"]`. */
export interface PipelineEntry {
  name: string;
  library: string | null;
  className: string | null;
  dir: string;
  role: SubfolderRole;
}

/** A folder as the converter sees it: a whole pipeline (`model_index.json`) or a single component (`config.json`). */
export type ModelFolder =
  | { type: 'pipeline'; root: string; pipelineClass: string; entries: PipelineEntry[] }
  | { type: 'component'; root: string };

/**
 * Reads a diffusers folder: a pipeline with `model_index.json` and component subfolders, or one component folder
 * with `config.json`. Throws {@link ModelFileError} for anything else.
 */
export async function readModelFolder(root: string): Promise<ModelFolder> {
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new ModelFileError('not a folder', root);
  const names = await readdir(root);
  if (names.includes('model_index.json')) {
    let index: Record<string, unknown>;
    try {
      index = JSON.parse(await readFile(join(root, 'model_index.json'), 'utf8'));
    } catch (err) {
      throw new ModelFileError(`model_index.json is not valid JSON (${(err as Error).message})`, root);
    }
    const entries: PipelineEntry[] = [];
    for (const [name, value] of Object.entries(index)) {
      if (name.startsWith('_') || !Array.isArray(value)) continue;
      const [library, className] = value as [string | null, string | null];
      if (library === null && className === null) continue; // an optional component the pipeline left out
      const dir = join(root, name);
      entries.push({ name, library, className, dir, role: await roleOf(dir) });
    }
    // diffusers keeps extra scheduler folders (e.g. `ddpm_scheduler/`) outside model_index.json.
    for (const name of names) {
      if (entries.some((e) => e.name === name)) continue;
      const dir = join(root, name);
      if ((await stat(dir)).isDirectory() && (await roleOf(dir)) === 'scheduler') {
        entries.push({ name, library: null, className: null, dir, role: 'scheduler' });
      }
    }
    return { type: 'pipeline', root, pipelineClass: String(index._class_name ?? ''), entries };
  }
  if (names.includes('config.json')) return { type: 'component', root };
  throw new ModelFileError('neither model_index.json (a pipeline) nor config.json (a component) found', root);
}

async function roleOf(dir: string): Promise<SubfolderRole> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.includes('scheduler_config.json')) return 'scheduler';
  if (names.includes('preprocessor_config.json')) return 'image_processor';
  if (
    names.some((n) => ['tokenizer.json', 'vocab.json', 'sentencepiece.bpe.model', 'tokenizer_config.json'].includes(n))
  ) {
    return 'tokenizer';
  }
  if (names.includes('config.json')) return 'model';
  return 'unknown';
}

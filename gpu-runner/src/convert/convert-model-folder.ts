import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readModelFolder } from '../io/diffusers-folder.js';
import { ModelFileError } from '../io/errors.js';
import { componentFor } from '../models/registry.js';
import { type ComponentManifest, type ConvertOptions, convertComponent, readConfig } from './convert-component.js';

/** What a folder conversion produced. */
export interface FolderConversion {
  /** Converted components by output folder name (`unet`, `unet_inpaint`, `prior`, ...). */
  components: Record<string, ComponentManifest>;
  /** Scheduler, tokenizer and image-processor folders copied as they are, by output folder name. */
  copied: string[];
}

/**
 * The output folder name of a component: its kind, except that the 9-channel inpainting U-Net is `unet_inpaint` so
 * the text-to-image and inpainting repos can be converted into one model folder.
 */
export function componentFolderName(kind: string, config: Record<string, unknown>): string {
  return kind === 'unet' && config.in_channels === 9 ? 'unet_inpaint' : kind;
}

/**
 * Converts a diffusers pipeline folder (every model subfolder; schedulers, tokenizers and image processors copied)
 * or a single component folder (written straight into `outDir`). Pipelines' non-model folders are renamed so the
 * prior repo and the decoder repo can share one output folder: the prior's `tokenizer` and `scheduler` become
 * `prior_tokenizer` and `prior_scheduler`.
 */
export async function convertModelFolder(
  src: string,
  outDir: string,
  opts: ConvertOptions = {},
): Promise<FolderConversion> {
  const folder = await readModelFolder(src);
  if (folder.type === 'component') {
    const config = await readConfig(src);
    const manifest = await convertComponent(src, outDir, opts);
    return { components: { [componentFolderName(manifest.kind, config)]: manifest }, copied: [] };
  }
  const isPrior = /Prior/.test(folder.pipelineClass);
  const result: FolderConversion = { components: {}, copied: [] };
  await mkdir(outDir, { recursive: true });
  for (const entry of folder.entries) {
    if (entry.role === 'model') {
      const config = await readConfig(entry.dir);
      const def = componentFor(config, join(entry.dir, 'config.json'));
      const name = componentFolderName(def.kind, config);
      if (result.components[name]) throw new ModelFileError(`two components convert to "${name}"`, src);
      result.components[name] = await convertComponent(entry.dir, join(outDir, name), opts);
    } else if (entry.role === 'unknown') {
      throw new ModelFileError(`subfolder "${entry.name}" holds nothing this converter recognises`, entry.dir);
    } else {
      const name =
        isPrior && (entry.name === 'tokenizer' || entry.name === 'scheduler') ? `prior_${entry.name}` : entry.name;
      await cp(entry.dir, join(outDir, name), { recursive: true });
      result.copied.push(name);
    }
  }
  if (Object.keys(result.components).length === 0 && (await readdir(src)).length > 0) {
    throw new ModelFileError('no model components found in model_index.json', src);
  }
  return result;
}

import { copyFile, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from '../io/errors.js';
import { convertBinIndex, convertBinToSafetensors } from './bin-to-safetensors.js';
import type { FolderPlan } from './repo-file-selection.js';

/**
 * Builds the folder the converter reads from a downloaded repository: the same layout, every chosen weights set as
 * safetensors under its default (variant-free) name, so `Checkpoint.open` finds it without knowing about variants
 * or `.bin` files. PyTorch `.bin` weights are rewritten with the restricted reader (nothing is unpickled by Python
 * rules); safetensors files and support files are hard-linked (copied across file systems), not duplicated.
 *
 * @param downloaded the folder holding the repository's files at their hub paths.
 * @param prepared the folder to (re)create.
 */
export async function prepareConverterFolder(downloaded: string, prepared: string, plans: FolderPlan[]): Promise<void> {
  await rm(prepared, { recursive: true, force: true });
  for (const plan of plans) {
    const dir = join(prepared, plan.folder);
    await mkdir(dir, { recursive: true });
    for (const path of plan.other) await linkOrCopy(join(downloaded, path), join(prepared, path));
    const w = plan.weights;
    if (!w) continue;
    if (w.format === 'safetensors') {
      if (w.index) {
        for (const shard of w.files) await linkOrCopy(join(downloaded, shard), join(prepared, shard));
        await writeFile(
          join(dir, `${stemOf(w.index)}.safetensors.index.json`),
          await readFile(join(downloaded, w.index)),
        );
      } else {
        await linkOrCopy(join(downloaded, w.files[0]), join(dir, `${stemOf(w.files[0])}.safetensors`));
      }
    } else if (w.index) {
      await convertBinIndex(join(downloaded, w.index), dir, `${stemOf(w.index)}.safetensors.index.json`);
    } else {
      await convertBinToSafetensors(join(downloaded, w.files[0]), join(dir, `${stemOf(w.files[0])}.safetensors`));
    }
  }
}

/** The variant-free safetensors stem of a weights file: `pytorch_model.fp16.bin` -> `model`. */
function stemOf(path: string): string {
  const m = /^(diffusion_pytorch_model|pytorch_model|model)/.exec(basename(path));
  if (!m) throw new ModelFileError('not a diffusers/transformers weights file name', path);
  return m[1] === 'pytorch_model' ? 'model' : m[1];
}

/** Hard-links `from` to `to` (replacing `to`), copying when a link is impossible (another file system). */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

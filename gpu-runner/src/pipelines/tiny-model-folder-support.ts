/**
 * Test and bench support: the tiny reference models (`test/fixtures/<component>/model`) converted by the real
 * converter into one model folder laid out as `KandinskyPipelines.load` expects, with the tiny tokenizers and the
 * tiny CLIP image-processor config (28 px) of the reference harness.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../../test/helpers/tensors.js';
import { convertComponent } from '../convert/convert-component.js';

export const TINY_COMPONENTS = [
  'prior_text_encoder',
  'prior',
  'image_encoder',
  'text_encoder',
  'unet',
  'unet_inpaint',
  'movq',
] as const;

/** Converts the tiny fixtures into a fresh temporary model folder; `cleanup()` removes it. */
export async function buildTinyModelFolder(): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'kandinsky-tiny-'));
  for (const name of TINY_COMPONENTS) {
    await convertComponent(join(FIXTURES, name, 'model'), join(root, name), { shardBytes: 1 << 20 });
  }
  await cp(join(FIXTURES, 'tokenizers', 'xlmr_tiny'), join(root, 'tokenizer'), { recursive: true });
  await cp(join(FIXTURES, 'tokenizers', 'clip_tiny'), join(root, 'prior_tokenizer'), { recursive: true });
  const meta = JSON.parse(await readFile(join(FIXTURES, 'image_encoder', 'meta.json'), 'utf8'));
  await mkdir(join(root, 'image_processor'));
  await writeFile(join(root, 'image_processor', 'preprocessor_config.json'), JSON.stringify(meta.image_processor));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

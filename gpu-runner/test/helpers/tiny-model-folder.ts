/**
 * Test and bench support: the tiny reference models of a fixture set (`<tiny set>/<component>`: config.json
 * + weights.safetensors) converted by the real converter into one model folder laid out as `KandinskyPipelines.load`
 * expects, with the set's tiny tokenizers and its tiny CLIP image-processor config (from `image_encoder/meta.json`).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertComponent } from '../../src/convert/convert-component.js';
import { COMPONENT_FOLDERS } from '../../src/pipelines/model-folder-layout.js';
import { tinyFixtures } from '../../src/verify/fixture-root.js';
import { checkpointFromHarness } from '../../src/verify/harness-checkpoint.js';

/** The tiny set's components: every component folder of a model folder. */
export const TINY_COMPONENTS = COMPONENT_FOLDERS;

/** Converts the tiny models of `set` (default: the active tiny set) into a fresh temporary model folder. */
export async function buildTinyModelFolder(set = tinyFixtures()): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'kandinsky-tiny-'));
  try {
    for (const name of TINY_COMPONENTS) {
      const checkpoint = await checkpointFromHarness(join(set, name), join(root, '.checkpoints', name));
      await convertComponent(checkpoint, join(root, name), { shardBytes: 1 << 20 });
    }
    await rm(join(root, '.checkpoints'), { recursive: true, force: true });
    await cp(join(set, 'tokenizers', 'xlmr_tiny'), join(root, 'tokenizer'), { recursive: true });
    await cp(join(set, 'tokenizers', 'clip_tiny'), join(root, 'prior_tokenizer'), { recursive: true });
    const meta = JSON.parse(await readFile(join(set, 'image_encoder', 'meta.json'), 'utf8'));
    await mkdir(join(root, 'image_processor'));
    await writeFile(join(root, 'image_processor', 'preprocessor_config.json'), JSON.stringify(meta.image_processor));
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

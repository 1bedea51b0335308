import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY } from '../../../test/helpers/tensors.js';
import { convertComponent } from '../../convert/convert-component.js';
import { readSafetensors } from '../../io/safetensors.js';
import { type TensorToWrite, writeSafetensors } from '../../io/safetensors-writer.js';

/**
 * Checkpoints saved by transformers before 4.31 also hold the `position_ids` buffers (int64 `arange`). The converter
 * accepts exactly those keys when present, and still refuses any other stray key.
 */
describe('encoders accept the legacy position_ids buffers, and nothing else extra', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'legacy-buffers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Copies the tiny prior text encoder with `extra` tensors added to its checkpoint. */
  async function withExtra(name: string, extra: Record<string, TensorToWrite>): Promise<string> {
    const src = join(TINY, 'prior_text_encoder');
    const out = join(dir, name);
    await mkdir(out, { recursive: true });
    await copyFile(join(src, 'config.json'), join(out, 'config.json'));
    const tensors: Record<string, TensorToWrite> = {};
    for (const [key, t] of await readSafetensors(join(src, 'weights.safetensors'))) {
      tensors[key] = { shape: t.shape, data: t.data };
    }
    await writeSafetensors(join(out, 'model.safetensors'), { ...tensors, ...extra });
    return out;
  }

  const positionIds: TensorToWrite = {
    shape: [1, 12],
    data: Int32Array.from({ length: 12 }, (_, i) => i),
    dtype: 'I64',
  };

  it('converts a checkpoint holding text_model.embeddings.position_ids, without converting it', async () => {
    const src = await withExtra('with-position-ids', { 'text_model.embeddings.position_ids': positionIds });
    const manifest = await convertComponent(src, join(dir, 'out-ok'));
    expect(manifest.kind).toBe('prior_text_encoder');
    expect(manifest.parameterCount).toBe(43008);
  });

  it('still refuses any other unexpected key', async () => {
    const src = await withExtra('with-stray', { 'text_model.embeddings.stray_ids': positionIds });
    await expect(convertComponent(src, join(dir, 'out-bad'))).rejects.toThrow(
      /unexpected keys: text_model\.embeddings\.stray_ids/,
    );
  });
});

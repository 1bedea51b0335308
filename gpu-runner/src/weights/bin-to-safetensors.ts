import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from '../io/errors.js';
import { TorchBinFile } from './torch-bin.js';

/**
 * Rewrites one PyTorch `.bin` state dict as a safetensors file, tensor by tensor (only one storage is in memory at a
 * time). The tensors keep their dtype (an fp16 checkpoint stays F16) and their order. The file is written under a
 * temporary name and renamed when complete, so an interrupted run never leaves a plausible-looking half file.
 *
 * Why convert files rather than teach the converter a second format: the converter, the loader checks and every
 * test already speak safetensors through `Checkpoint`; one conversion step keeps a single code path after it, and
 * the safetensors copy is what a model store should keep anyway (no pickle left anywhere downstream).
 *
 * @returns the tensor names written.
 */
export async function convertBinToSafetensors(binPath: string, outPath: string): Promise<string[]> {
  const bin = await TorchBinFile.open(binPath);
  const tmp = `${outPath}.tmp`;
  try {
    const header: Record<string, unknown> = { __metadata__: { format: 'pt', source: basename(binPath) } };
    let offset = 0;
    for (const t of bin.tensors.values()) {
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
      offset += t.byteLength;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8); // 8-byte aligned tensor data, as the reference writer keeps it
    const headerBytes = Buffer.from(json, 'utf8');
    await mkdir(dirname(outPath), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(headerBytes.length));
      await handle.write(length);
      await handle.write(headerBytes);
      for (const name of bin.tensors.keys()) await handle.write(await bin.readBytes(name));
    } finally {
      await handle.close();
    }
    await rename(tmp, outPath);
    return [...bin.tensors.keys()];
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await bin.close();
  }
}

/**
 * The safetensors name diffusers/transformers would use for a `.bin` weights file:
 * `diffusion_pytorch_model[.fp16].bin` keeps its stem, `pytorch_model[.fp16].bin` becomes `model[.fp16].safetensors`,
 * and shards `pytorch_model-00001-of-00002.bin` become `model-00001-of-00002.safetensors`.
 */
export function safetensorsNameFor(binName: string): string {
  if (!binName.endsWith('.bin')) throw new ModelFileError(`"${binName}" is not a .bin weights file`);
  const stem = binName.slice(0, -'.bin'.length);
  return `${stem.replace(/^pytorch_model(?=$|[.-])/, 'model')}.safetensors`;
}

/**
 * Converts a sharded checkpoint (`*.bin.index.json` + its `.bin` shards, in `dir`) to safetensors shards and a
 * `*.safetensors.index.json` in `outDir`, checking that every shard holds exactly the keys the index gives it.
 *
 * @param outIndexName the index file to write; by default the safetensors name of the input index
 *   (`pytorch_model.bin.index.json` -> `model.safetensors.index.json`).
 * @returns the path of the index written.
 */
export async function convertBinIndex(indexPath: string, outDir: string, outIndexName?: string): Promise<string> {
  let index: { metadata?: unknown; weight_map?: Record<string, string> };
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new ModelFileError(`unreadable checkpoint index (${(err as Error).message})`, indexPath);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') {
    throw new ModelFileError('checkpoint index has no "weight_map"', indexPath);
  }
  const weightMap: Record<string, string> = {};
  const shards = [...new Set(Object.values(index.weight_map))];
  for (const shard of shards) {
    if (basename(shard) !== shard || !shard.endsWith('.bin')) {
      throw new ModelFileError(`shard name "${shard}" must be a plain .bin file name`, indexPath);
    }
    const outName = safetensorsNameFor(shard);
    const keys = await convertBinToSafetensors(join(dirname(indexPath), shard), join(outDir, outName));
    const expected = Object.keys(index.weight_map).filter((k) => index.weight_map![k] === shard);
    const missing = expected.filter((k) => !keys.includes(k));
    const extra = keys.filter((k) => index.weight_map![k] !== shard);
    if (missing.length || extra.length) {
      throw new ModelFileError(
        `shard ${shard} does not match the index (missing: ${missing.join(', ') || 'none'}; not indexed here: ${extra.join(', ') || 'none'})`,
        indexPath,
      );
    }
    for (const k of keys) weightMap[k] = outName;
  }
  const defaultName = `${safetensorsNameFor(basename(indexPath).replace(/\.index(\.\w+)?\.json$/, ''))}.index.json`;
  const outIndex = join(outDir, outIndexName ?? defaultName);
  await writeFile(outIndex, `${JSON.stringify({ metadata: index.metadata ?? {}, weight_map: weightMap }, null, 1)}\n`);
  return outIndex;
}

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFileError } from './errors.js';
import { type HostTensor, SafetensorsFile, type TensorInfo } from './safetensors.js';

/**
 * A model checkpoint: one safetensors file or several shards joined by a `*.safetensors.index.json`. Tensors are
 * read one at a time from their byte ranges.
 */
export class Checkpoint {
  private constructor(
    /** The file or index the checkpoint was opened from. */
    readonly path: string,
    private readonly files: SafetensorsFile[],
    private readonly owner: Map<string, SafetensorsFile>,
  ) {}

  /**
   * Opens a checkpoint from a `.safetensors` file, a `.safetensors.index.json`, or a folder holding exactly one of
   * the usual names (`diffusion_pytorch_model.safetensors`, `model.safetensors`, their index files, or a single
   * `*.safetensors`). A variant such as `fp16` selects `*.fp16.safetensors`.
   */
  static async open(path: string, opts: { variant?: string } = {}): Promise<Checkpoint> {
    const st = await stat(path).catch(() => {
      throw new ModelFileError('no such checkpoint file or folder', path);
    });
    if (st.isDirectory()) return Checkpoint.open(await findWeightsFile(path, opts.variant), opts);
    if (path.endsWith('.index.json')) return Checkpoint.openIndex(path);
    const file = await SafetensorsFile.open(path);
    return new Checkpoint(path, [file], new Map([...file.tensors.keys()].map((k) => [k, file])));
  }

  private static async openIndex(path: string): Promise<Checkpoint> {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new ModelFileError(`unreadable checkpoint index (${(err as Error).message})`, path);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new ModelFileError('checkpoint index has no "weight_map"', path);
    }
    const shardNames = [...new Set(Object.values(index.weight_map))];
    const files: SafetensorsFile[] = [];
    try {
      for (const name of shardNames) {
        if (basename(name) !== name) throw new ModelFileError(`shard name "${name}" must be a plain file name`, path);
        files.push(await SafetensorsFile.open(join(dirname(path), name)));
      }
    } catch (err) {
      await Promise.all(files.map((f) => f.close()));
      throw err;
    }
    const byName = new Map(shardNames.map((n, i) => [n, files[i]]));
    const owner = new Map<string, SafetensorsFile>();
    for (const [key, shard] of Object.entries(index.weight_map)) {
      const file = byName.get(shard)!;
      if (!file.tensors.has(key))
        throw new ModelFileError(`the index maps "${key}" to ${shard}, which does not hold it`, path);
      owner.set(key, file);
    }
    return new Checkpoint(path, files, owner);
  }

  /** Every tensor name, in file order. */
  keys(): string[] {
    return [...this.owner.keys()];
  }

  /** The dtype, shape and byte range of a tensor. */
  info(key: string): TensorInfo {
    const file = this.owner.get(key);
    if (!file) throw new ModelFileError(`checkpoint has no tensor "${key}"`, this.path);
    return file.tensors.get(key)!;
  }

  /** Reads and decodes one tensor. */
  read(key: string): Promise<HostTensor> {
    const file = this.owner.get(key);
    if (!file) throw new ModelFileError(`checkpoint has no tensor "${key}"`, this.path);
    return file.read(key);
  }

  /** Closes every shard. */
  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

const PREFERRED = ['diffusion_pytorch_model', 'model'];

async function findWeightsFile(dir: string, variant?: string): Promise<string> {
  const names = await readdir(dir);
  const suffix = variant ? `.${variant}.safetensors` : '.safetensors';
  for (const stem of PREFERRED) {
    for (const candidate of [`${stem}${suffix}.index.json`, `${stem}${suffix}`]) {
      if (names.includes(candidate)) return join(dir, candidate);
    }
  }
  const matches = names.filter(
    (n) => n.endsWith(suffix) && (variant !== undefined || !/\.(fp16|bf16)\.safetensors$/.test(n)),
  );
  if (matches.length === 1) return join(dir, matches[0]);
  if (names.some((n) => n.endsWith('.bin'))) {
    throw new ModelFileError(
      'holds only PyTorch .bin weights; convert them with `kandinsky weights pull` or provide safetensors',
      dir,
    );
  }
  throw new ModelFileError(
    matches.length ? `several safetensors files and no index: ${matches.join(', ')}` : 'no safetensors weights found',
    dir,
  );
}

/** Reads every tensor of a checkpoint into memory (small models and tests). */
export async function readCheckpoint(path: string): Promise<Map<string, HostTensor>> {
  const ckpt = await Checkpoint.open(path);
  try {
    const out = new Map<string, HostTensor>();
    for (const key of ckpt.keys()) out.set(key, await ckpt.read(key));
    return out;
  } finally {
    await ckpt.close();
  }
}

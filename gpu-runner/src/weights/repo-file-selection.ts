/** A file of a hub repository, as the tree API lists it. */
export interface RepoFile {
  path: string;
  size: number;
  /** Git blob id. */
  oid?: string;
  lfs?: { oid: string; size: number };
  /** Content hash of xet-stored files (a different scheme from SHA-256). */
  xetHash?: string;
}

/** How a weights file is stored. */
export interface WeightFileKind {
  format: 'safetensors' | 'bin';
  /** `fp16`, `bf16`, ... or null for the default weights. */
  variant: string | null;
  /** `*.index.json` of a sharded checkpoint. */
  index: boolean;
  /** Part of a sharded checkpoint (`-00001-of-00003`). */
  shard: boolean;
}

/** The weights chosen for one component folder. */
export interface WeightSelection {
  format: 'safetensors' | 'bin';
  variant: string | null;
  /** The index file when the checkpoint is sharded. */
  index?: string;
  /** Single file, or every shard. */
  files: string[];
}

/** One folder of the repository and what to download from it. */
export interface FolderPlan {
  /** '' for the repository root. */
  folder: string;
  weights?: WeightSelection;
  /** Configs, tokenizer files, scheduler configs: everything small a pipeline folder needs. */
  other: string[];
}

const STEMS = '(?:diffusion_pytorch_model|pytorch_model|model)';
const SINGLE = new RegExp(`^${STEMS}(?:\\.(\\w+))?\\.(safetensors|bin)$`);
const SHARD = new RegExp(`^${STEMS}(?:\\.(\\w+))?-\\d{5}-of-\\d{5}(?:\\.(\\w+))?\\.(safetensors|bin)$`);
const INDEX = new RegExp(`^${STEMS}(?:\\.(\\w+))?\\.(safetensors|bin)\\.index(?:\\.(\\w+))?\\.json$`);
/** Small files a converted pipeline folder needs besides weights. */
const SUPPORT_FILE = /\.(json|txt|model)$/;

/**
 * Checks a path from a hub listing before it is used as a local path: relative, `/`-separated, no `.`/`..` or empty
 * segments, no backslashes or control characters. A hostile or broken mirror must not write outside the cache.
 */
export function isSafeRepoPath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\')) return false;
  if ([...path].some((ch) => ch.charCodeAt(0) < 0x20)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Classifies a file name as diffusers/transformers weights, or returns null. */
export function weightFileKind(name: string): WeightFileKind | null {
  let m = INDEX.exec(name);
  if (m) return { format: m[2] as 'safetensors' | 'bin', variant: m[1] ?? m[3] ?? null, index: true, shard: false };
  m = SHARD.exec(name);
  if (m) return { format: m[3] as 'safetensors' | 'bin', variant: m[1] ?? m[2] ?? null, index: false, shard: true };
  m = SINGLE.exec(name);
  if (m) return { format: m[2] as 'safetensors' | 'bin', variant: m[1] ?? null, index: false, shard: false };
  return null;
}

/**
 * Decides what to download from a diffusers repository: in every folder one set of weights (the requested variant
 * if the folder has it, else the default weights; safetensors preferred over PyTorch `.bin`) plus the small
 * support files (`*.json`, `*.txt`, sentencepiece `*.model`). Other formats (flax `msgpack`, ONNX, `.ckpt`), READMEs
 * and images are skipped.
 */
export function planRepoDownload(files: RepoFile[], opts: { variant?: string } = {}): FolderPlan[] {
  const byFolder = new Map<string, RepoFile[]>();
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    const folder = slash < 0 ? '' : f.path.slice(0, slash);
    if (folder.split('/').some((p) => p.startsWith('.'))) continue;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), f]);
  }
  const plans: FolderPlan[] = [];
  for (const [folder, entries] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
    const names = entries.map((e) => baseName(e.path));
    const kinds = names.map(weightFileKind);
    const other = entries
      .filter((e, i) => kinds[i] === null && SUPPORT_FILE.test(e.path) && !baseName(e.path).startsWith('.'))
      .map((e) => e.path);
    const weights = chooseWeights(
      folder,
      names.map((name, i) => ({ name, kind: kinds[i] })),
      opts.variant,
    );
    if (weights || other.length) plans.push({ folder, weights, other });
  }
  return plans;
}

function chooseWeights(
  folder: string,
  files: { name: string; kind: WeightFileKind | null }[],
  variant: string | undefined,
): WeightSelection | undefined {
  const prefix = folder ? `${folder}/` : '';
  const variants = variant ? [variant, null] : [null];
  for (const v of variants) {
    for (const format of ['safetensors', 'bin'] as const) {
      const same = files.filter((f) => f.kind && f.kind.format === format && f.kind.variant === v);
      const index = same.find((f) => f.kind!.index);
      if (index) {
        return {
          format,
          variant: v,
          index: prefix + index.name,
          files: same.filter((f) => f.kind!.shard).map((f) => prefix + f.name),
        };
      }
      const single = same.filter((f) => !f.kind!.index && !f.kind!.shard);
      if (single.length) {
        // diffusers names win over transformers names when a folder (oddly) has both.
        const preferred = single.find((f) => f.name.startsWith('diffusion_pytorch_model')) ?? single[0];
        return { format, variant: v, files: [prefix + preferred.name] };
      }
    }
  }
  return undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

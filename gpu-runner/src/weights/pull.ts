import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadableStream } from 'node:stream/web';
import { downloadFile, listFiles, modelInfo } from '@huggingface/hub';
import type { WeightDtype } from '../convert/convert-component.js';
import { convertModelFolder, type FolderConversion } from '../convert/convert-model-folder.js';
import { linkOrCopy, prepareConverterFolder } from './prepare-folder.js';
import { type FolderPlan, isSafeRepoPath, planRepoDownload, type RepoFile } from './repo-file-selection.js';
import { type DownloadEvent, downloadVerified, type ExpectedFile } from './verified-download.js';

/** The three diffusers repositories Kandinsky 2.1 is published as. */
export const DEFAULT_REPOS = [
  'kandinsky-community/kandinsky-2-1-prior',
  'kandinsky-community/kandinsky-2-1',
  'kandinsky-community/kandinsky-2-1-inpaint',
] as const;

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface PullOptions {
  /** Repositories to pull, `owner/name`; default {@link DEFAULT_REPOS}. */
  repos?: readonly string[];
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Hub base URL (a mirror, or the local test server). */
  hubUrl?: string;
  /** Hub token, for gated or private repositories. */
  accessToken?: string;
  /** Weights variant to prefer (`fp16`); folders without it fall back to the default weights. */
  variant?: string;
  /**
   * Working folder: `hub/<owner>/<name>/...` keeps the downloaded files (and `.part` files of interrupted
   * downloads, resumed on the next run), `prepared/<owner>/<name>/` the converter-ready folders.
   */
  cacheDir: string;
  /** Converted model folder (every repo converts into it); omit to download and prepare only. */
  outDir?: string;
  /** Storage dtype of the converted weights. */
  dtype?: WeightDtype;
  shardBytes?: number;
  /** Download attempts per file (interruptions resume; a checksum failure starts over). Default 4. */
  attempts?: number;
  retryDelayMs?: (retry: number) => number;
  /** Custom fetch (proxies, tests). */
  fetch?: typeof fetch;
  /** Human-readable progress lines. */
  log?: (line: string) => void;
}

/** What was pulled from one repository. */
export interface RepoPull {
  repo: string;
  revision: string;
  /** The commit the revision resolved to; every file was listed and downloaded at this commit. */
  commit: string;
  plan: FolderPlan[];
  /** Every file downloaded or found verified, with the bytes fetched this run. */
  files: { path: string; bytes: number; sha256?: string; fetched: number }[];
  /** The converter-ready folder. */
  prepared: string;
  conversion?: FolderConversion;
}

/**
 * `kandinsky weights pull`: for each repository, lists its files through the hub API, downloads what the pipeline
 * needs (resumably, each file checked against the size and SHA-256/git id the hub publishes), rewrites PyTorch
 * `.bin` weights as safetensors with the restricted reader, and converts everything into one TF.js model folder.
 * Upload the folder with {@link uploadModelFolder} so runners load it from the model store.
 */
export async function pullWeights(opts: PullOptions): Promise<RepoPull[]> {
  const log = opts.log ?? (() => {});
  const revision = opts.revision ?? 'main';
  const hub = { hubUrl: opts.hubUrl ?? DEFAULT_HUB_URL, fetch: opts.fetch, accessToken: opts.accessToken };
  const results: RepoPull[] = [];
  // The repositories share components (the inpaint repo repeats the text encoder and MoVQ): content already verified
  // in this pull, by SHA-256, is linked instead of downloaded again (and still verified).
  const verifiedBySha256 = new Map<string, string>();
  for (const repo of opts.repos ?? DEFAULT_REPOS) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || !isSafeRepoPath(repo)) {
      throw new Error(`"${repo}" is not a repository id (owner/name)`);
    }
    // Pin the branch or tag to a commit first, so a push during the pull cannot mix files of two revisions.
    let commit: string;
    try {
      const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...hub });
      commit = String((info as { sha?: unknown }).sha ?? '');
    } catch (err) {
      throw new Error(`${repo}@${revision}: cannot resolve the revision (${(err as Error).message})`, { cause: err });
    }
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${repo}@${revision}: the hub returned no commit id`);
    log(`${repo}@${revision}: commit ${commit}`);
    const files: RepoFile[] = [];
    try {
      for await (const entry of listFiles({ repo, revision: commit, recursive: true, ...hub })) {
        if (entry.type !== 'file') continue;
        if (!isSafeRepoPath(entry.path))
          throw new Error(`refusing the file path ${JSON.stringify(entry.path)} in the listing`);
        files.push(entry);
      }
    } catch (err) {
      throw new Error(`${repo}@${commit}: cannot list files (${(err as Error).message})`, { cause: err });
    }
    const plan = planRepoDownload(files, { variant: opts.variant });
    if (!plan.some((p) => p.weights)) throw new Error(`${repo}@${revision}: no weights found in the repository`);
    const wanted = new Set(
      plan.flatMap((p) => [...p.other, ...(p.weights?.index ? [p.weights.index] : []), ...(p.weights?.files ?? [])]),
    );
    const downloadDir = join(opts.cacheDir, 'hub', ...repo.split('/'));
    const pulled: RepoPull['files'] = [];
    for (const file of files.filter((f) => wanted.has(f.path))) {
      const sha256 = file.lfs?.oid;
      if (!sha256 && file.xetHash)
        log(`${repo}: ${file.path}: the hub lists no SHA-256 for it (xet only); checking its size only`);
      const dest = join(downloadDir, ...file.path.split('/'));
      const twin = sha256 ? verifiedBySha256.get(sha256) : undefined;
      if (twin && twin !== dest && !existsSync(dest) && !existsSync(`${dest}.part`)) {
        log(`${repo}: ${file.path}: same content as ${twin}; linking instead of downloading`);
        await linkOrCopy(twin, `${dest}.part`);
      }
      const fetched = await downloadVerified(
        async (from) => {
          const blob = await downloadFile({ repo, path: file.path, revision: commit, ...hub });
          if (!blob) throw new Error(`${repo}: ${file.path} is listed but cannot be downloaded`);
          if (blob.size !== file.size)
            throw new Error(`${repo}: ${file.path} is ${blob.size} bytes, the listing says ${file.size}`);
          return blob.slice(from).stream() as unknown as ReadableStream<Uint8Array>;
        },
        dest,
        expectedFor(file),
        {
          attempts: opts.attempts,
          retryDelayMs: opts.retryDelayMs,
          onEvent: (e) => log(describeEvent(repo, file.path, e)),
        },
      );
      if (sha256) verifiedBySha256.set(sha256, dest);
      pulled.push({ path: file.path, bytes: file.size, sha256, fetched });
    }
    const prepared = join(opts.cacheDir, 'prepared', ...repo.split('/'));
    log(`${repo}: preparing converter input in ${prepared}`);
    await prepareConverterFolder(downloadDir, prepared, plan);
    const result: RepoPull = { repo, revision, commit, plan, files: pulled, prepared };
    if (opts.outDir) {
      log(`${repo}: converting into ${opts.outDir}`);
      result.conversion = await convertModelFolder(prepared, opts.outDir, {
        dtype: opts.dtype,
        shardBytes: opts.shardBytes,
      });
    }
    results.push(result);
  }
  if (opts.outDir) await writeSourceRecord(opts, results);
  return results;
}

/** Written next to the converted model: which hub commits and files it was built from. */
export const WEIGHTS_SOURCE_FILE = 'weights-source.json';

async function writeSourceRecord(opts: PullOptions, results: RepoPull[]): Promise<void> {
  const record = {
    hubUrl: opts.hubUrl ?? DEFAULT_HUB_URL,
    variant: opts.variant ?? null,
    dtype: opts.dtype ?? 'float32',
    repos: results.map((r) => ({
      repo: r.repo,
      revision: r.revision,
      commit: r.commit,
      files: r.files.map(({ path, bytes, sha256 }) => ({ path, bytes, ...(sha256 ? { sha256 } : {}) })),
    })),
  };
  await writeFile(join(opts.outDir!, WEIGHTS_SOURCE_FILE), `${JSON.stringify(record, null, 1)}\n`);
}

/**
 * What a downloaded file is checked against: the LFS SHA-256 of large files, the git blob id of small ones. A file the
 * hub lists only by its xet hash (no LFS record) has neither: its `oid` is then the pointer's, so only the size is
 * checked.
 */
function expectedFor(file: RepoFile): ExpectedFile {
  if (file.lfs?.oid) return { size: file.size, sha256: file.lfs.oid };
  if (file.xetHash) return { size: file.size };
  return { size: file.size, gitOid: file.oid };
}

function describeEvent(repo: string, path: string, e: DownloadEvent): string {
  const name = `${repo}: ${path}`;
  switch (e.type) {
    case 'present':
      return `${name}: already downloaded and verified`;
    case 'replacing-corrupt-copy':
      return `${name}: the local copy does not match the hub; downloading it again`;
    case 'start':
      return e.from > 0 ? `${name}: resuming at ${mb(e.from)} of ${mb(e.size)}` : `${name}: downloading ${mb(e.size)}`;
    case 'interrupted':
      return `${name}: interrupted at ${mb(e.at)} (${e.error})${e.willRetry ? '; will resume' : ''}`;
    case 'corrupt':
      return `${name}: ${e.error}${e.willRetry ? '; downloading it again' : ''}`;
    case 'done':
      return `${name}: verified (${mb(e.bytesFetched)} fetched)`;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

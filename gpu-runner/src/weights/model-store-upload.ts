import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fileDigest } from '../io/file-hash.js';

/** The file listing written last to the model store: its presence means the upload is complete. */
export const MODEL_STORE_MANIFEST = 'model-store.json';

/** `model-store.json`: every object of the converted model under the prefix, with size and SHA-256. */
export interface ModelStoreManifest {
  format: 'kandinsky-model-store';
  version: 1;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Where a model folder goes: `s3://<bucket>/<prefix>/...`. */
export interface ModelStoreTarget {
  s3: S3Client;
  bucket: string;
  /** Key prefix without a trailing slash (may be empty). */
  prefix: string;
}

/** Parses `s3://bucket/prefix` (prefix optional; trailing slashes dropped). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`"${url}" is not an s3://bucket/prefix URL`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/**
 * Uploads a converted model folder to the model store so runners can load it at boot (`KANDINSKY_WEIGHTS=s3://...`).
 * Objects already there with the same size and SHA-256 (stored as `x-amz-meta-sha256`) are skipped, so a re-run
 * after an interruption only sends what is missing. Order matters to readers: weight shards first, each
 * `component.json` after the files it lists, and `model-store.json` (every key with its size and SHA-256) last, so a
 * runner that finds the manifest finds every object it names.
 */
export async function uploadModelFolder(
  localDir: string,
  target: ModelStoreTarget,
  opts: { log?: (line: string) => void } = {},
): Promise<ModelStoreManifest> {
  const log = opts.log ?? (() => {});
  const paths = (await listFiles(localDir)).filter((p) => p !== MODEL_STORE_MANIFEST);
  if (paths.length === 0) throw new Error(`${localDir}: nothing to upload`);
  const rank = (p: string) => (p.endsWith('/component.json') || p === 'component.json' ? 1 : 0);
  paths.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const manifest: ModelStoreManifest = { format: 'kandinsky-model-store', version: 1, files: {} };
  let sent = 0;
  for (const path of paths) {
    const abs = join(localDir, ...path.split('/'));
    const { bytes, sha256 } = await fileDigest(abs);
    manifest.files[path] = { bytes, sha256 };
    const key = keyFor(target.prefix, path);
    if (await sameObject(target, key, bytes, sha256)) {
      log(`${key}: already in the store`);
      continue;
    }
    await target.s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: createReadStream(abs),
        ContentLength: bytes,
        ContentType: path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        Metadata: { sha256 },
      }),
    );
    sent += bytes;
    log(`${key}: uploaded (${(bytes / 1e6).toFixed(1)} MB)`);
  }
  const body = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`);
  await target.s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: keyFor(target.prefix, MODEL_STORE_MANIFEST),
      Body: body,
      ContentLength: body.length,
      ContentType: 'application/json',
      Metadata: { sha256: createHash('sha256').update(body).digest('hex') },
    }),
  );
  log(
    `${keyFor(target.prefix, MODEL_STORE_MANIFEST)}: written (${paths.length} files, ${(sent / 1e9).toFixed(2)} GB sent)`,
  );
  return manifest;
}

function keyFor(prefix: string, path: string): string {
  return prefix ? `${prefix}/${path}` : path;
}

async function sameObject(target: ModelStoreTarget, key: string, bytes: number, sha256: string): Promise<boolean> {
  try {
    const head = await target.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
    return head.ContentLength === bytes && head.Metadata?.sha256 === sha256;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (err as Error).name === 'NotFound') return false;
    throw err;
  }
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs);
      else if (entry.isFile()) out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  await walk(root);
  return out;
}

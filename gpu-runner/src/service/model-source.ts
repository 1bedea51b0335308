import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fileDigest } from '../io/file-hash.js';
import { isNotFound } from './object-store.js';

/** The model location is wrong or its files are damaged: the runner must not start. */
export class ModelSourceError extends Error {
  override readonly name = 'ModelSourceError';
}

/** Listing written last by `kandinsky weights upload`: every object of the model with its size and SHA-256. */
export const MODEL_STORE_MANIFEST = 'model-store.json';

/** `s3://bucket/prefix` split (prefix without trailing slash), or null for a local path. */
export function parseS3Location(location: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(location);
  if (!m) return null;
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') };
}

/**
 * Makes the converted model available as a local folder. A local path is returned as is. `s3://bucket/prefix` (a
 * model store written by `kandinsky weights upload`) is mirrored into `cacheDir` following its `model-store.json`:
 * files already cached with the listed SHA-256 are kept, others are downloaded, hashed while streaming and refused on
 * mismatch. Without `model-store.json` the upload is incomplete and the runner refuses to start.
 */
export async function resolveModelFolder(
  location: string,
  opts: { cacheDir: string; s3?: S3Client; log?: (msg: string) => void },
): Promise<string> {
  const where = parseS3Location(location);
  if (!where) {
    const dir = resolve(location);
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) throw new ModelSourceError(`KANDINSKY_WEIGHTS=${location}: no such folder`);
    return dir;
  }
  if (!opts.s3) throw new ModelSourceError('KANDINSKY_WEIGHTS is an s3:// URL but no S3 client is configured');
  const key = (rel: string) => (where.prefix ? `${where.prefix}/${rel}` : rel);
  let manifest: { format?: string; files?: Record<string, { bytes: number; sha256: string }> };
  try {
    const res = await opts.s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: key(MODEL_STORE_MANIFEST) }));
    manifest = JSON.parse(await res.Body!.transformToString());
  } catch (err) {
    if (isNotFound(err)) {
      throw new ModelSourceError(
        `KANDINSKY_WEIGHTS=${location}: no ${MODEL_STORE_MANIFEST} there (the upload is incomplete or this is not a model store; upload with \`kandinsky weights upload\`)`,
      );
    }
    throw new ModelSourceError(
      `KANDINSKY_WEIGHTS=${location}: cannot read ${MODEL_STORE_MANIFEST}: ${(err as Error).message}`,
    );
  }
  if (manifest.format !== 'kandinsky-model-store' || typeof manifest.files !== 'object') {
    throw new ModelSourceError(`KANDINSKY_WEIGHTS=${location}: ${MODEL_STORE_MANIFEST} is not a model-store listing`);
  }
  const dir = resolve(opts.cacheDir);
  let fetched = 0;
  for (const [rel, want] of Object.entries(manifest.files)) {
    if (rel.split('/').some((part) => part === '..' || part === ''))
      throw new ModelSourceError(`refusing path ${rel} in ${MODEL_STORE_MANIFEST}`);
    const target = join(dir, ...rel.split('/'));
    if ((await fileDigest(target).catch(() => null))?.sha256 === want.sha256) continue;
    await mkdir(dirname(target), { recursive: true });
    const res = await opts.s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: key(rel) }));
    const hash = createHash('sha256');
    let bytes = 0;
    const body = res.Body as Readable;
    body.on('data', (chunk: Uint8Array) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    // Write beside, then rename: a crash mid-download never leaves a half file under the real name.
    await pipeline(body, createWriteStream(`${target}.part`));
    const sha256 = hash.digest('hex');
    if (sha256 !== want.sha256 || bytes !== want.bytes) {
      await rm(`${target}.part`, { force: true });
      throw new ModelSourceError(
        `${location}/${rel}: downloaded ${bytes} bytes with SHA-256 ${sha256}, expected ${want.bytes} bytes ${want.sha256}`,
      );
    }
    await rename(`${target}.part`, target);
    fetched++;
  }
  opts.log?.(
    `model: ${Object.keys(manifest.files).length} files listed in ${location}, ${fetched} downloaded into ${dir}`,
  );
  return dir;
}

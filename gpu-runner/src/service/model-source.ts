import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** The model location is wrong or its files are damaged: the runner must not start. */
export class ModelSourceError extends Error {
  override readonly name = 'ModelSourceError';
}

/** `s3://bucket/prefix` split, or null for a local path. */
export function parseS3Url(location: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) return null;
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : `${m[2]}/`;
  return { bucket: m[1], prefix };
}

/**
 * Makes the converted model available as a local folder. A local path is returned as is; `s3://bucket/prefix` is
 * mirrored into `cacheDir` (objects whose size and SHA-256 already match `component.json` are not downloaded again).
 * The loader verifies every checksum afterwards, so a torn download cannot be served.
 */
export async function resolveModelFolder(
  location: string,
  opts: { cacheDir: string; s3?: S3Client; log?: (msg: string) => void },
): Promise<string> {
  const s3url = parseS3Url(location);
  if (!s3url) {
    const dir = resolve(location);
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) throw new ModelSourceError(`KANDINSKY_WEIGHTS=${location}: no such folder`);
    return dir;
  }
  if (!opts.s3) throw new ModelSourceError('KANDINSKY_WEIGHTS is an s3:// URL but no S3 client is configured');
  const dir = resolve(opts.cacheDir);
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await opts.s3.send(
      new ListObjectsV2Command({ Bucket: s3url.bucket, Prefix: s3url.prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key && !o.Key.endsWith('/')) keys.push({ key: o.Key, size: o.Size ?? -1 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (keys.length === 0) throw new ModelSourceError(`KANDINSKY_WEIGHTS=${location}: no objects under this prefix`);
  const expected = await expectedHashes(
    opts.s3,
    s3url.bucket,
    keys.map((k) => k.key),
    s3url.prefix,
  );
  let fetched = 0;
  for (const { key, size } of keys) {
    const rel = key.slice(s3url.prefix.length);
    if (rel.split('/').includes('..')) throw new ModelSourceError(`refusing object key outside the prefix: ${key}`);
    const target = join(dir, rel);
    const want = expected.get(rel);
    if (want && (await fileMatches(target, size, want))) continue;
    await mkdir(dirname(target), { recursive: true });
    const out = await opts.s3.send(new GetObjectCommand({ Bucket: s3url.bucket, Key: key }));
    if (!out.Body) throw new ModelSourceError(`empty body for ${key}`);
    // Write beside, then rename: a crash mid-download never leaves a half file under the real name.
    await writeFile(`${target}.part`, await out.Body.transformToByteArray());
    await rename(`${target}.part`, target);
    fetched++;
  }
  opts.log?.(`model: ${keys.length} objects under ${location}, ${fetched} downloaded into ${dir}`);
  return dir;
}

/** SHA-256 per relative path, from every `component.json` under the prefix. */
async function expectedHashes(
  s3: S3Client,
  bucket: string,
  keys: string[],
  prefix: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of keys.filter((k) => k.endsWith('/component.json') || k === `${prefix}component.json`)) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const manifest = JSON.parse(await res.Body!.transformToString()) as { files?: Record<string, { sha256: string }> };
    const base = key.slice(prefix.length, -'component.json'.length);
    for (const [rel, f] of Object.entries(manifest.files ?? {})) out.set(`${base}${rel}`, f.sha256);
  }
  return out;
}

async function fileMatches(path: string, size: number, sha256: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info || (size >= 0 && info.size !== size)) return false;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest('hex') === sha256;
}

/** Reads `component.json` files under a model folder: which components it holds. */
export async function listComponents(dir: string, names: string[]): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const name of names)
    out[name] = await readFile(join(dir, name, 'component.json'), 'utf8').then(
      () => true,
      () => false,
    );
  return out;
}

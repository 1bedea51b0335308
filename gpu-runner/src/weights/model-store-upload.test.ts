import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../test/helpers/local-s3.js';
import { MODEL_STORE_MANIFEST, parseS3Url, uploadModelFolder } from './model-store-upload.js';

let server: LocalS3;
let s3: S3Client;
let work: string;
const BUCKET = 'models';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'upload-'));
  server = await startLocalS3(work, BUCKET);
  s3 = server.s3;
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function getText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return out.Body!.transformToString();
}

describe('uploadModelFolder (against a SigV4-verifying local S3 server)', () => {
  it('uploads every file, writes component.json after the shards and model-store.json last, and skips unchanged objects on a re-run', async () => {
    const model = join(work, 'model');
    await mkdir(join(model, 'movq', 'decoder'), { recursive: true });
    const shard = Buffer.alloc(300_000, 7);
    await writeFile(join(model, 'movq', 'decoder', 'group1-shard1of1.bin'), shard);
    await writeFile(join(model, 'movq', 'decoder', 'model.json'), '{"format":"layers-model"}');
    await writeFile(join(model, 'movq', 'component.json'), '{"kind":"movq"}');
    await mkdir(join(model, 'scheduler'), { recursive: true });
    await writeFile(join(model, 'scheduler', 'scheduler_config.json'), '{"beta_end":0.012}');

    const lines: string[] = [];
    const manifest = await uploadModelFolder(
      model,
      { s3, bucket: BUCKET, prefix: 'kandinsky-2-1/v1' },
      { log: (l) => lines.push(l) },
    );
    expect(Object.keys(manifest.files).sort()).toEqual([
      'movq/component.json',
      'movq/decoder/group1-shard1of1.bin',
      'movq/decoder/model.json',
      'scheduler/scheduler_config.json',
    ]);
    expect(manifest.files['movq/decoder/group1-shard1of1.bin']).toEqual({
      bytes: 300_000,
      sha256: createHash('sha256').update(shard).digest('hex'),
    });
    const order = lines.map((l) => l.split(':')[0]);
    expect(order.indexOf('kandinsky-2-1/v1/movq/component.json')).toBeGreaterThan(
      order.indexOf('kandinsky-2-1/v1/movq/decoder/group1-shard1of1.bin'),
    );
    expect(order.at(-1)).toBe(`kandinsky-2-1/v1/${MODEL_STORE_MANIFEST}`);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'kandinsky-2-1/v1/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([
      'kandinsky-2-1/v1/model-store.json',
      'kandinsky-2-1/v1/movq/component.json',
      'kandinsky-2-1/v1/movq/decoder/group1-shard1of1.bin',
      'kandinsky-2-1/v1/movq/decoder/model.json',
      'kandinsky-2-1/v1/scheduler/scheduler_config.json',
    ]);
    expect(JSON.parse(await getText('kandinsky-2-1/v1/model-store.json'))).toEqual(manifest);
    expect(await getText('kandinsky-2-1/v1/scheduler/scheduler_config.json')).toBe('{"beta_end":0.012}');

    // A second run sends nothing but the manifest; a changed file is sent again.
    await writeFile(join(model, 'movq', 'component.json'), '{"kind":"movq","v":2}');
    const again: string[] = [];
    await uploadModelFolder(model, { s3, bucket: BUCKET, prefix: 'kandinsky-2-1/v1' }, { log: (l) => again.push(l) });
    expect(again.filter((l) => l.endsWith('already in the store'))).toHaveLength(3);
    expect(again.filter((l) => /: uploaded/.test(l)).map((l) => l.split(':')[0])).toEqual([
      'kandinsky-2-1/v1/movq/component.json',
    ]);
  });

  it('parses s3:// URLs', () => {
    expect(parseS3Url('s3://models/kandinsky/2.1/')).toEqual({ bucket: 'models', prefix: 'kandinsky/2.1' });
    expect(parseS3Url('s3://models')).toEqual({ bucket: 'models', prefix: '' });
    expect(() => parseS3Url('https://models/x')).toThrow(/not an s3:\/\/bucket\/prefix URL/);
  });
});

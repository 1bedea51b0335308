import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestMatches, fileDigest } from './file-hash.js';

describe('fileDigest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the size and the FIPS 180-2 SHA-256 test vectors', async () => {
    await writeFile(join(dir, 'abc'), 'abc');
    await writeFile(join(dir, 'empty'), '');
    expect(await fileDigest(join(dir, 'abc'))).toEqual({
      bytes: 3,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
    expect(await fileDigest(join(dir, 'empty'))).toEqual({
      bytes: 0,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  it('hashes a file larger than one stream chunk (64 KiB) the same as in one piece', async () => {
    const big = Buffer.alloc(200_000, 7);
    await writeFile(join(dir, 'big'), big);
    const { createHash } = await import('node:crypto');
    expect(await fileDigest(join(dir, 'big'))).toEqual({
      bytes: 200_000,
      sha256: createHash('sha256').update(big).digest('hex'),
    });
  });

  it('rejects with the file system error for a missing file', async () => {
    await expect(fileDigest(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('digestMatches needs both the size and the hash to agree', () => {
    const want = { bytes: 3, sha256: 'aa' };
    expect(digestMatches({ bytes: 3, sha256: 'aa' }, want)).toBe(true);
    expect(digestMatches({ bytes: 4, sha256: 'aa' }, want)).toBe(false);
    expect(digestMatches({ bytes: 3, sha256: 'ab' }, want)).toBe(false);
  });
});

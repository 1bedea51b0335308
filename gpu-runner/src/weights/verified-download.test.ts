import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitBlobSha1 } from '../../test/helpers/local-hub-server.js';
import { CorruptDownloadError, type DownloadEvent, downloadVerified, type RangeOpener } from './verified-download.js';

const content = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff));
const sha256 = createHash('sha256').update(content).digest('hex');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verified-download-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A remote file served from memory in chunks, recording the offsets asked for. */
function remote(bytes: Uint8Array, opts: { ignoreRange?: boolean; failAfter?: number } = {}) {
  const starts: number[] = [];
  let failAfter = opts.failAfter;
  const open: RangeOpener = async (start) => {
    starts.push(start);
    const from = opts.ignoreRange ? 0 : start;
    const limit = failAfter;
    failAfter = undefined;
    let pos = from;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (limit !== undefined && pos - from >= limit) return controller.error(new Error('connection reset'));
        if (pos >= bytes.length) return controller.close();
        const end = Math.min(bytes.length, pos + 1000);
        controller.enqueue(bytes.slice(pos, end));
        pos = end;
      },
    }) as never;
  };
  return { open, starts };
}

const fast = { retryDelayMs: () => 0 };

describe('downloadVerified', () => {
  it('resumes after a reset from the bytes already written', async () => {
    const { open, starts } = remote(content, { failAfter: 3000 });
    const dest = join(dir, 'resumed.bin');
    const fetched = await downloadVerified(open, dest, { size: content.length, sha256 }, fast);
    expect(starts).toEqual([0, 3000]);
    expect(fetched).toBe(content.length);
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('starts over when the server ignores the Range header (more bytes than requested)', async () => {
    const dest = join(dir, 'ignored-range.bin');
    await writeFile(`${dest}.part`, content.subarray(0, 4000));
    const { open, starts } = remote(content, { ignoreRange: true });
    const events: DownloadEvent['type'][] = [];
    await downloadVerified(
      open,
      dest,
      { size: content.length, sha256 },
      { ...fast, onEvent: (e) => events.push(e.type) },
    );
    expect(starts).toEqual([4000, 0]);
    expect(events).toContain('interrupted');
    expect((await readFile(dest)).equals(content)).toBe(true);
  });

  it('verifies small files by git blob id, including empty ones', async () => {
    const empty = Buffer.alloc(0);
    const { open, starts } = remote(empty);
    const dest = join(dir, 'empty.json');
    await downloadVerified(open, dest, { size: 0, gitOid: gitBlobSha1(empty) }, fast);
    expect(starts).toEqual([]);
    expect((await readFile(dest)).length).toBe(0);
    const wrong = remote(Buffer.from('{"a":1}'));
    await expect(
      downloadVerified(
        wrong.open,
        join(dir, 'wrong.json'),
        { size: 7, gitOid: gitBlobSha1(Buffer.from('{"a":2}')) },
        { ...fast, attempts: 1 },
      ),
    ).rejects.toThrow(CorruptDownloadError);
  });

  it('gives up after the allowed attempts with the last network error', async () => {
    const failing: RangeOpener = async () => {
      throw new Error('ECONNREFUSED');
    };
    await expect(
      downloadVerified(failing, join(dir, 'refused.bin'), { size: 10, sha256 }, { ...fast, attempts: 3 }),
    ).rejects.toThrow(/refused\.bin failed after 3 attempts: ECONNREFUSED/);
  });
});

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReadableStream } from 'node:stream/web';

/** What a downloaded file must be: its size, and a digest the hub publishes for it. */
export interface ExpectedFile {
  size: number;
  /** SHA-256 of the content (the LFS oid of weights files). */
  sha256?: string;
  /** Git blob id (SHA-1 of `blob <size>\0<content>`), the only digest the hub gives small non-LFS files. */
  gitOid?: string;
}

/** The download finished but the bytes are not the published ones. The partial file has been deleted. */
export class CorruptDownloadError extends Error {
  override readonly name = 'CorruptDownloadError';
}

/** Opens the remote file from byte `start` to its end. */
export type RangeOpener = (start: number) => Promise<ReadableStream<Uint8Array>>;

export interface VerifiedDownloadOptions {
  /** Attempts in all (network failures resume; a checksum failure restarts from zero). Default 4. */
  attempts?: number;
  onEvent?: (event: DownloadEvent) => void;
  /** Delay before attempt n (1-based retries); default 500 ms * 2^(n-1). */
  retryDelayMs?: (retry: number) => number;
}

/** Progress and decisions, for logs and tests. */
export type DownloadEvent =
  | { type: 'present'; path: string }
  | { type: 'replacing-corrupt-copy'; path: string }
  | { type: 'start'; path: string; from: number; size: number }
  | { type: 'interrupted'; path: string; at: number; error: string; willRetry: boolean }
  | { type: 'corrupt'; path: string; error: string; willRetry: boolean }
  | { type: 'done'; path: string; bytesFetched: number };

/**
 * Downloads a file to `dest` resumably and verifies it: bytes go to `<dest>.part` (kept across interruptions and
 * across runs), each retry continues from the part's length with a Range request, and only a part whose size and
 * digest match `expected` is renamed to `dest`. An existing `dest` is re-verified and kept when it matches.
 *
 * @returns the number of bytes fetched over the network (0 when `dest` was already complete).
 */
export async function downloadVerified(
  fetchFrom: RangeOpener,
  dest: string,
  expected: ExpectedFile,
  opts: VerifiedDownloadOptions = {},
): Promise<number> {
  const attempts = opts.attempts ?? 4;
  const emit = opts.onEvent ?? (() => {});
  const delay = opts.retryDelayMs ?? ((n: number) => 500 * 2 ** (n - 1));
  await mkdir(dirname(dest), { recursive: true });

  const existing = await sizeOf(dest);
  if (existing !== undefined) {
    if (existing === expected.size && checkDigest(await hashFile(dest, expected), expected) === undefined) {
      emit({ type: 'present', path: dest });
      return 0;
    }
    emit({ type: 'replacing-corrupt-copy', path: dest });
    await rm(dest);
  }

  const part = `${dest}.part`;
  let fetched = 0;
  for (let attempt = 1; ; attempt++) {
    let have = (await sizeOf(part)) ?? 0;
    if (have > expected.size) {
      await rm(part);
      have = 0;
    }
    // An empty file has nothing to fetch, but still needs a part to verify and rename.
    if (expected.size === 0 && (await sizeOf(part)) === undefined) await writeFile(part, '');
    // Hash what a previous run left, then continue the same hash with the new bytes.
    const hasher = await hashFile(part, expected, have);
    try {
      if (have < expected.size) {
        emit({ type: 'start', path: dest, from: have, size: expected.size });
        await appendFrom(fetchFrom, part, have, expected.size, hasher, (n) => {
          fetched += n;
        });
      }
    } catch (err) {
      const message = (err as Error).message;
      const at = (await sizeOf(part)) ?? 0;
      emit({ type: 'interrupted', path: dest, at, error: message, willRetry: attempt < attempts });
      if (err instanceof OverlongResponseError) await rm(part, { force: true });
      if (attempt >= attempts) throw new Error(`download of ${dest} failed after ${attempts} attempts: ${message}`);
      await sleep(delay(attempt));
      continue;
    }
    const problem = checkDigest(hasher, expected);
    if (problem === undefined) {
      await rename(part, dest);
      emit({ type: 'done', path: dest, bytesFetched: fetched });
      return fetched;
    }
    await rm(part, { force: true });
    const willRetry = attempt < attempts;
    emit({ type: 'corrupt', path: dest, error: problem, willRetry });
    if (!willRetry) {
      throw new CorruptDownloadError(
        `${dest}: corrupted download, ${problem}; the partial file was deleted (checked ${attempts} times)`,
      );
    }
  }
}

/** The server sent more bytes than the file has left (e.g. it ignored the Range header). */
class OverlongResponseError extends Error {}

async function appendFrom(
  fetchFrom: RangeOpener,
  part: string,
  from: number,
  size: number,
  hasher: Hasher,
  onBytes: (count: number) => void,
): Promise<void> {
  const handle = await open(part, 'a');
  let written = 0;
  try {
    const reader = (await fetchFrom(from)).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (from + written + value.length > size) {
        await reader.cancel();
        throw new OverlongResponseError(`received more than the ${size - from} bytes requested from offset ${from}`);
      }
      await handle.write(value);
      hasher.update(value);
      written += value.length;
      onBytes(value.length);
    }
  } finally {
    await handle.close();
  }
  if (from + written !== size) throw new Error(`connection closed at byte ${from + written} of ${size}`);
}

/** Hashers for whichever digests are expected; sha256 wins when both are known. */
interface Hasher {
  update(data: Uint8Array): void;
  sha256?: Hash;
  sha1?: Hash;
}

async function hashFile(path: string, expected: ExpectedFile, length?: number): Promise<Hasher> {
  const sha256 = expected.sha256 ? createHash('sha256') : undefined;
  // Git's blob id covers a header with the final size, which is known before the first byte.
  const sha1 = !sha256 && expected.gitOid ? createHash('sha1').update(`blob ${expected.size}\0`) : undefined;
  const hasher: Hasher = {
    sha256,
    sha1,
    update(data) {
      sha256?.update(data);
      sha1?.update(data);
    },
  };
  if (length === 0) return hasher;
  const size = await sizeOf(path);
  if (size === undefined) return hasher;
  const stream = createReadStream(path, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) hasher.update(chunk);
  return hasher;
}

/** Undefined when the digest matches; otherwise what is wrong. */
function checkDigest(hasher: Hasher, expected: ExpectedFile): string | undefined {
  if (hasher.sha256) {
    const got = hasher.sha256.digest('hex');
    return got === expected.sha256 ? undefined : `sha256 ${got} but the hub publishes ${expected.sha256}`;
  }
  if (hasher.sha1) {
    const got = hasher.sha1.digest('hex');
    return got === expected.gitOid ? undefined : `git blob id ${got} but the hub publishes ${expected.gitOid}`;
  }
  return undefined;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

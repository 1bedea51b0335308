import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A file's size and SHA-256, as converted-model manifests (`component.json`, `model-store.json`) list them. */
export interface FileDigest {
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

/**
 * Streams a file through SHA-256 (weight shards are hundreds of MB, so never read whole) and counts its bytes.
 * Rejects with the file system's error when the file cannot be read (missing, a folder, no permission); callers
 * decide whether that means "missing" or a failure.
 */
export async function fileDigest(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** True when `got` has exactly the size and SHA-256 a manifest lists. */
export function digestMatches(got: FileDigest, want: FileDigest): boolean {
  return got.bytes === want.bytes && got.sha256 === want.sha256;
}

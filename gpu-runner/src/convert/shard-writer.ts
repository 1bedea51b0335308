import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

/** A file written by the converter with its checksum, recorded in `component.json`. */
export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Writes one weight group as numbered shards of at most `shardBytes` each (a weight may straddle two shards, as the
 * TF.js format allows), hashing as it goes.
 */
export class ShardWriter {
  private handle?: FileHandle;
  private hash = createHash('sha256');
  private written = 0;
  private readonly names: string[] = [];
  readonly files: WrittenFile[] = [];

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly shardBytes: number,
  ) {}

  /** Appends bytes, starting new shards as needed. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (!this.handle || this.written === this.shardBytes) await this.nextShard();
      const n = Math.min(bytes.byteLength - offset, this.shardBytes - this.written);
      const part = bytes.subarray(offset, offset + n);
      await this.handle!.write(part);
      this.hash.update(part);
      this.written += n;
      offset += n;
    }
  }

  private async nextShard(): Promise<void> {
    await this.closeShard();
    const name = `${this.prefix}-shard${this.names.length + 1}.bin`;
    this.names.push(name);
    this.handle = await open(join(this.dir, name), 'w');
    this.hash = createHash('sha256');
    this.written = 0;
  }

  private async closeShard(): Promise<void> {
    if (!this.handle) return;
    await this.handle.close();
    this.files.push({ path: this.names[this.names.length - 1], bytes: this.written, sha256: this.hash.digest('hex') });
    this.handle = undefined;
  }

  /** Closes the last shard and returns the shard file names in order. */
  async finish(): Promise<string[]> {
    await this.closeShard();
    return [...this.names];
  }
}

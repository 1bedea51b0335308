import { type FileHandle, open, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ModelFileError } from '../io/errors.js';

/** One member of a zip archive, located but not read. */
export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed (PyTorch never compresses, so this reader refuses it). */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Absolute offset of the local file header. */
  headerOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65535 bytes. */
const MAX_EOCD_SEARCH = 22 + 0xffff;

/**
 * A read-only zip archive opened for random access: only the central directory is read up front, members are read
 * by byte range. Covers what `torch.save` writes (stored members, zip64 for files over 4 GiB); compressed members and
 * multi-disk archives are refused with a {@link ModelFileError}.
 */
export class ZipArchive {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    private readonly fileSize: number,
  ) {}

  /** Opens an archive and reads its central directory. */
  static async open(path: string): Promise<ZipArchive> {
    const size = (await stat(path)).size;
    const handle = await open(path, 'r');
    try {
      const entries = await readCentralDirectory(path, handle, size);
      return new ZipArchive(path, handle, entries, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Whether a file starts with a zip local-file signature (cheap sniffing before {@link open}). */
  static async looksLikeZip(path: string): Promise<boolean> {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(4);
      const { bytesRead } = await handle.read(buf, 0, 4, 0);
      return bytesRead === 4 && buf.readUInt32LE(0) === LOCAL_SIGNATURE;
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads a whole member and checks its CRC-32, so a damaged archive is reported rather than decoded into garbage
   * weights.
   */
  async read(name: string): Promise<Buffer> {
    const entry = this.entry(name);
    const start = await this.dataOffset(entry);
    const buf = Buffer.alloc(entry.size);
    const { bytesRead } = await this.handle.read(buf, 0, entry.size, start);
    if (bytesRead !== entry.size) throw new ModelFileError(`truncated zip member "${name}"`, this.path);
    if (crc32(buf) >>> 0 !== entry.crc32) {
      throw new ModelFileError(
        `zip member "${name}" is corrupt: its CRC-32 does not match the central directory`,
        this.path,
      );
    }
    return buf;
  }

  /** The member's description, or a clear error when it is missing. */
  entry(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new ModelFileError(`zip archive has no member "${name}"`, this.path);
    if (entry.method !== 0) {
      throw new ModelFileError(
        `zip member "${name}" is compressed (method ${entry.method}); PyTorch archives store members uncompressed`,
        this.path,
      );
    }
    return entry;
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }

  private async dataOffset(entry: ZipEntry): Promise<number> {
    const header = Buffer.alloc(30);
    await this.handle.read(header, 0, 30, entry.headerOffset);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
      throw new ModelFileError(`corrupt zip: no local header for "${entry.name}"`, this.path);
    }
    const start = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (start + entry.size > this.fileSize) {
      throw new ModelFileError(`truncated zip: member "${entry.name}" runs past the end of the file`, this.path);
    }
    return start;
  }
}

async function readCentralDirectory(path: string, handle: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(size, MAX_EOCD_SEARCH);
  const tail = Buffer.alloc(tailLen);
  await handle.read(tail, 0, tailLen, size - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ModelFileError('not a zip archive (or truncated): no end-of-central-directory record', path);
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0) {
    throw new ModelFileError('multi-disk zip archives are not supported', path);
  }
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // zip64: the real values live in the zip64 end record, found through the locator just before the end record.
    const locator = eocd - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) {
      throw new ModelFileError('corrupt zip64 archive: missing end-of-central-directory locator', path);
    }
    const recordOffset = Number(tail.readBigUInt64LE(locator + 8));
    const record = Buffer.alloc(56);
    await handle.read(record, 0, 56, recordOffset);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) {
      throw new ModelFileError('corrupt zip64 archive: bad end-of-central-directory record', path);
    }
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > size)
    throw new ModelFileError('truncated zip: the central directory lies past the end', path);
  const cd = Buffer.alloc(cdSize);
  await handle.read(cd, 0, cdSize, cdOffset);
  const entries = new Map<string, ZipEntry>();
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + 46 > cd.length || cd.readUInt32LE(pos) !== CENTRAL_SIGNATURE) {
      throw new ModelFileError(`corrupt zip: central directory entry ${i} is damaged`, path);
    }
    const nameLen = cd.readUInt16LE(pos + 28);
    const extraLen = cd.readUInt16LE(pos + 30);
    const commentLen = cd.readUInt16LE(pos + 32);
    const name = cd.toString('utf8', pos + 46, pos + 46 + nameLen);
    const entry: ZipEntry = {
      name,
      method: cd.readUInt16LE(pos + 10),
      crc32: cd.readUInt32LE(pos + 16),
      compressedSize: cd.readUInt32LE(pos + 20),
      size: cd.readUInt32LE(pos + 24),
      headerOffset: cd.readUInt32LE(pos + 42),
    };
    applyZip64Extra(entry, cd.subarray(pos + 46 + nameLen, pos + 46 + nameLen + extraLen));
    entries.set(name, entry);
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Fields saturated at 0xffffffff in the central directory are stored, in order, in the zip64 extra field (0x0001). */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const len = extra.readUInt16LE(pos + 2);
    if (id === 0x0001) {
      let p = pos + 4;
      const next = (): number => {
        const v = Number(extra.readBigUInt64LE(p));
        p += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.headerOffset === 0xffffffff) entry.headerOffset = next();
      return;
    }
    pos += 4 + len;
  }
}

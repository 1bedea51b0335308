import { readJpegStructure } from '@kandinsky/protocol/image-bytes';
import { type ExifOrientation, readExifOrientation } from './exif-orientation.js';
import { ImageInputError, readImageBytes } from './image-errors.js';
import type { Raster } from './raster.js';
import { rgbFromWasmImage, squooshCodec, type WasmImageData } from './wasm-module.js';

/** What a JPEG's marker segments say, read before decoding. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  orientation: ExifOrientation;
}

const EXIF_PREFIX = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

/**
 * Reads the frame size, component count and EXIF orientation through the shared structure reader (which checks every
 * marker from SOI through EOI and refuses what libjpeg here cannot decode).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  const jpeg = readImageBytes(() => readJpegStructure(bytes));
  const exif = jpeg.applications.find((a) => a.marker === 0xe1 && EXIF_PREFIX.every((v, i) => a.data[i] === v));
  return {
    width: jpeg.width,
    height: jpeg.height,
    components: jpeg.components.length,
    orientation: exif ? readExifOrientation(exif.data.subarray(EXIF_PREFIX.length)) : 1,
  };
}

type DecodeFn = (buffer: ArrayBuffer, options: { preserveOrientation: boolean }) => Promise<WasmImageData>;

/** What libjpeg printed during the current decode (its first warning, or its error), via the module's stderr. */
let messages: string[] = [];

/** MozJPEG's decoder (libjpeg-turbo's) compiled to wasm, loaded on first use; its stderr is captured. */
const loadDecoder = squooshCodec<DecodeFn>(
  () => import('@jsquash/jpeg/decode.js'),
  () => '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  { printErr: (line: string) => messages.push(line), print: () => undefined },
);

/**
 * libjpeg warnings that change no pixel: bytes skipped before a marker (after a scan's last MCU), an unknown JFIF
 * version, an unknown Adobe transform code (libjpeg then decides from the component ids), a damaged ICC segment. Every
 * other warning means libjpeg filled in data it could not read. libjpeg prints only its first warning, so a harmless
 * one could hide a later one; the shared check (run first) has already Huffman-decoded every scan, which rules out
 * the data-filling ones.
 */
const HARMLESS_WARNINGS =
  /extraneous bytes before marker|unknown JFIF revision|Unknown Adobe color transform|bad ICC marker/i;

/** Decodes run one at a time, so each decode's captured messages are its own. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs libjpeg on `bytes` and returns its RGBA output with everything it printed (its first warning, if any).
 * @throws ImageInputError `corrupt` when libjpeg gives up.
 */
export async function runLibjpeg(bytes: Uint8Array): Promise<{ img: WasmImageData; warnings: string[] }> {
  const decode = await loadDecoder();
  const run = queue.then(async () => {
    messages = [];
    try {
      return { img: await decode(bytes.slice().buffer, { preserveOrientation: false }), warnings: messages };
    } catch (err) {
      throw new ImageInputError('corrupt', `unreadable JPEG: ${[...messages, (err as Error).message].join('; ')}`);
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/** The warnings that mean libjpeg filled in data it could not read (see {@link HARMLESS_WARNINGS}). */
export function damageWarnings(warnings: string[]): string[] {
  return warnings.filter((w) => !HARMLESS_WARNINGS.test(w));
}

/**
 * Decodes a grayscale or YCbCr JPEG to RGB with libjpeg-turbo's decoder (MozJPEG via `@jsquash/jpeg`): the same
 * library and default settings (islow IDCT, fancy upsampling) as Pillow, so the pixels match the reference. EXIF
 * orientation is left to the caller. CMYK/YCCK JPEGs are refused. libjpeg fills what it cannot read (a scan cut
 * short, a bad Huffman code) with gray and only warns; such a warning refuses the image here (`corrupt`), as does
 * output of another size or length than the frame header declares.
 */
export async function decodeJpegToRgb(bytes: Uint8Array, header: JpegHeader): Promise<Raster> {
  if (header.components !== 1 && header.components !== 3) {
    throw new ImageInputError(
      'unsupported_format',
      `JPEG with ${header.components} colour components (CMYK?) is not supported`,
    );
  }
  const { img, warnings } = await runLibjpeg(bytes);
  const damage = damageWarnings(warnings);
  if (damage.length > 0) throw new ImageInputError('corrupt', `damaged JPEG data: ${damage.join('; ')}`);
  if (img.width !== header.width || img.height !== header.height) {
    throw new ImageInputError(
      'corrupt',
      `JPEG decoded to ${img.width}x${img.height}, header says ${header.width}x${header.height}`,
    );
  }
  return rgbFromWasmImage(img);
}

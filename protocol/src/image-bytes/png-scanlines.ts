import { ImageBytesError } from './errors.js';
import { PNG_CHANNELS, type PngHeader, type PngPass, pngPasses } from './png-structure.js';

/** Receives each unfiltered row: the pass it belongs to, its index within the pass, its bytes (valid until the next push). */
export type PngRowSink = (pass: PngPass, y: number, row: Uint8Array) => void;

/** Options of {@link PngScanlines}. */
export interface PngScanlinesOptions {
  /** PLTE payload of a palette image: every index is checked against its entry count (needs unfiltering). */
  palette?: Uint8Array;
  /** Called with every unfiltered row; without it rows are only unfiltered when palette indices must be checked. */
  onRow?: PngRowSink;
}

/**
 * Consumes a PNG's inflated image data in pieces of any size and holds it to exactly what the header declares: every
 * row's filter type is 0..4, no byte beyond the last row is accepted (`excess_data`, raised as soon as it arrives,
 * so a zip bomb is stopped after one piece), and {@link finish} refuses data that stops short (`truncated`).
 * Palette indices beyond the PLTE entries are refused (`corrupt`). Unfiltered rows go to `onRow`.
 */
export class PngScanlines {
  private readonly passes: PngPass[];
  private readonly bytesPerPixel: number;
  private readonly unfilter: boolean;
  private readonly paletteEntries: number;
  private readonly onRow?: PngRowSink;
  private cur: Uint8Array;
  private prev: Uint8Array;
  private pass = 0;
  private row = 0;
  /** Bytes of the current row received so far, filter byte included. */
  private filled = 0;
  /** Total bytes received. */
  received = 0;

  constructor(
    private readonly header: PngHeader,
    options: PngScanlinesOptions = {},
  ) {
    this.passes = pngPasses(header);
    this.bytesPerPixel = Math.max(1, (PNG_CHANNELS[header.colorType] * header.bitDepth) >> 3);
    this.paletteEntries = header.colorType === 3 && options.palette ? options.palette.length / 3 : 0;
    // Indices can only be out of range when the palette is shorter than the bit depth can address.
    const checkIndices = header.colorType === 3 && this.paletteEntries < 2 ** header.bitDepth;
    this.onRow = options.onRow;
    this.unfilter = checkIndices || options.onRow !== undefined;
    const rowSize = this.unfilter ? Math.max(...this.passes.map((p) => p.rowBytes)) + 1 : 0;
    this.cur = new Uint8Array(rowSize);
    this.prev = new Uint8Array(rowSize);
  }

  /** True once every declared row was received. */
  get complete(): boolean {
    return this.pass === this.passes.length;
  }

  /** Feeds the next piece of inflated data. @throws ImageBytesError */
  push(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.complete) {
        throw new ImageBytesError('excess_data', 'PNG image data holds more bytes than its IHDR declares');
      }
      const pass = this.passes[this.pass];
      if (this.filled === 0 && data[i] > 4) {
        throw new ImageBytesError(
          'corrupt',
          `PNG row ${this.row}${this.passes.length > 1 ? ` of pass ${this.pass + 1}` : ''} has an invalid filter type ${data[i]}`,
        );
      }
      const take = Math.min(pass.rowBytes + 1 - this.filled, data.length - i);
      if (this.unfilter) this.cur.set(data.subarray(i, i + take), this.filled);
      this.filled += take;
      this.received += take;
      i += take;
      if (this.filled === pass.rowBytes + 1) this.endRow(pass);
    }
  }

  /** Declares the end of the data. @throws ImageBytesError `truncated` when rows are missing. */
  finish(): void {
    if (!this.complete) {
      const expected = this.passes.reduce((sum, p) => sum + p.height * (p.rowBytes + 1), 0);
      throw new ImageBytesError(
        'truncated',
        `PNG image data ends after ${this.received} of the ${expected} bytes its IHDR declares`,
      );
    }
  }

  private endRow(pass: PngPass): void {
    if (this.unfilter) {
      const n = pass.rowBytes + 1;
      unfilterRow(this.cur.subarray(0, n), this.prev.subarray(0, n), this.bytesPerPixel);
      const row = this.cur.subarray(1, n);
      if (this.paletteEntries > 0) this.checkIndices(pass, row);
      this.onRow?.(pass, this.row, row);
      [this.cur, this.prev] = [this.prev, this.cur];
    }
    this.filled = 0;
    this.row++;
    if (this.row === pass.height) {
      this.row = 0;
      this.pass++;
      this.prev.fill(0); // each pass starts with an all-zero "previous row"
    }
  }

  private checkIndices(pass: PngPass, row: Uint8Array): void {
    const depth = this.header.bitDepth;
    const perByte = 8 / depth;
    const mask = (1 << depth) - 1;
    for (let x = 0; x < pass.width; x++) {
      const index = depth === 8 ? row[x] : (row[(x / perByte) | 0] >> (8 - depth * ((x % perByte) + 1))) & mask;
      if (index >= this.paletteEntries) {
        throw new ImageBytesError(
          'corrupt',
          `PNG pixel uses palette index ${index} but PLTE has only ${this.paletteEntries} entries`,
        );
      }
    }
  }
}

/** Reverses one row's filter in place (`row[0]` is the filter type, `prior` the previous unfiltered row or zeros). */
function unfilterRow(row: Uint8Array, prior: Uint8Array, bpp: number): void {
  const n = row.length;
  switch (row[0]) {
    case 1:
      for (let i = 1 + bpp; i < n; i++) row[i] = (row[i] + row[i - bpp]) & 0xff;
      break;
    case 2:
      for (let i = 1; i < n; i++) row[i] = (row[i] + prior[i]) & 0xff;
      break;
    case 3:
      for (let i = 1; i < n; i++) row[i] = (row[i] + (((i > bpp ? row[i - bpp] : 0) + prior[i]) >> 1)) & 0xff;
      break;
    case 4:
      for (let i = 1; i < n; i++) {
        const a = i > bpp ? row[i - bpp] : 0;
        const b = prior[i];
        const c = i > bpp ? prior[i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        row[i] = (row[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      break;
  }
}

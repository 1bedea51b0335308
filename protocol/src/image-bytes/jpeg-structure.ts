import { ImageBytesError } from './errors.js';

/** One frame component (SOF): its id, sampling factors and quantisation table. */
export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  tq: number;
}

/** A Huffman table as DHT carries it: code counts per length 1..16, then the symbols in code order. */
export interface JpegHuffmanTable {
  counts: Uint8Array;
  symbols: Uint8Array;
}

/** One scan (SOS) and its entropy-coded data, split at its restart markers. */
export interface JpegScan {
  /** Indexes into the frame's components, in scan order. */
  components: number[];
  /** DC and AC Huffman tables of each scan component, as defined when the scan starts. */
  dcTables: (JpegHuffmanTable | undefined)[];
  acTables: (JpegHuffmanTable | undefined)[];
  ss: number;
  se: number;
  ah: number;
  al: number;
  /** MCUs per restart interval (0: none). */
  restartInterval: number;
  /** MCUs in this scan (one block per MCU when the scan has one component). */
  mcus: number;
  /** The entropy-coded data between restart markers (byte stuffing still in place), never empty. */
  intervals: Uint8Array[];
}

/** A JPEG's frame, scans and application segments after every marker rule was checked. */
export interface JpegStructure {
  /** SOF0 (baseline), SOF1 (extended sequential) or SOF2 (progressive), all Huffman-coded, 8-bit. */
  process: 'baseline' | 'extended' | 'progressive';
  width: number;
  height: number;
  components: JpegComponent[];
  scans: JpegScan[];
  /** APPn segments (marker 0xe0..0xef) in file order, e.g. EXIF in APP1. */
  applications: { marker: number; data: Uint8Array }[];
}

const corrupt = (message: string) => new ImageBytesError('corrupt', message);
const truncated = (message: string) => new ImageBytesError('truncated', message);
const hex = (m: number) => `0x${m.toString(16).padStart(2, '0')}`;

const UNSUPPORTED_PROCESSES: Record<number, string> = {
  195: 'lossless',
  197: 'differential sequential',
  198: 'differential progressive',
  199: 'differential lossless',
  201: 'arithmetic-coded sequential',
  202: 'arithmetic-coded progressive',
  203: 'arithmetic-coded lossless',
  205: 'differential arithmetic-coded sequential',
  206: 'differential arithmetic-coded progressive',
  207: 'differential arithmetic-coded lossless',
};

function readFrame(marker: number, d: Uint8Array): Omit<JpegStructure, 'scans' | 'applications'> {
  if (d.length < 6) throw corrupt('JPEG SOF segment is too short');
  const precision = d[0];
  const height = (d[1] << 8) | d[2];
  const width = (d[3] << 8) | d[4];
  const count = d[5];
  if (d.length !== 6 + 3 * count) throw corrupt(`JPEG SOF segment length does not match its ${count} components`);
  if (precision !== 8)
    throw new ImageBytesError('unsupported_format', `${precision}-bit JPEG images are not supported`);
  if (height === 0)
    throw new ImageBytesError('unsupported_format', 'JPEG images sized by a DNL marker are not supported');
  if (width === 0) throw corrupt('JPEG frame declares width 0');
  if (count !== 1 && count !== 3) {
    throw new ImageBytesError('unsupported_format', `JPEG with ${count} colour components (CMYK?) is not supported`);
  }
  const components: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const c = { id: d[6 + 3 * i], h: d[7 + 3 * i] >> 4, v: d[7 + 3 * i] & 15, tq: d[8 + 3 * i] };
    if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4) throw corrupt(`JPEG component ${c.id} has sampling ${c.h}x${c.v}`);
    if (c.tq > 3) throw corrupt(`JPEG component ${c.id} uses quantisation table ${c.tq}`);
    if (components.some((o) => o.id === c.id)) throw corrupt(`JPEG frame repeats component id ${c.id}`);
    components.push(c);
  }
  const hmax = Math.max(...components.map((c) => c.h));
  const vmax = Math.max(...components.map((c) => c.v));
  // libjpeg upsamples by integral factors only.
  if (components.some((c) => hmax % c.h !== 0 || vmax % c.v !== 0)) {
    throw new ImageBytesError('unsupported_format', 'JPEG with non-integral chroma subsampling is not supported');
  }
  const process = marker === 0xc0 ? 'baseline' : marker === 0xc1 ? 'extended' : 'progressive';
  return { process, width, height, components };
}

function readHuffmanTables(d: Uint8Array, dc: (JpegHuffmanTable | undefined)[], ac: (JpegHuffmanTable | undefined)[]) {
  for (let p = 0; p < d.length; ) {
    if (p + 17 > d.length) throw corrupt('JPEG DHT segment is cut inside a table');
    const tc = d[p] >> 4;
    const th = d[p] & 15;
    if (tc > 1 || th > 3) throw corrupt(`JPEG DHT defines an invalid table ${hex(d[p])}`);
    const counts = d.subarray(p + 1, p + 17);
    const total = counts.reduce((s, c) => s + c, 0);
    if (total > 256 || p + 17 + total > d.length) throw corrupt('JPEG DHT table is longer than its segment');
    const symbols = d.subarray(p + 17, p + 17 + total);
    // Canonical codes must fit their lengths and leave the all-ones code unused (libjpeg's check).
    const first = counts.findIndex((c) => c > 0);
    if (first >= 0) {
      let last = 15;
      while (counts[last] === 0) last--;
      let code = 0;
      for (let len = first + 1; len <= last + 1; len++) {
        code += counts[len - 1];
        if (code >= 2 ** len) throw corrupt('JPEG DHT table has more codes than its lengths allow');
        code *= 2;
      }
    }
    if (tc === 0 && symbols.some((s) => s > 15)) throw corrupt('JPEG DC Huffman table has a symbol above 15');
    (tc === 0 ? dc : ac)[th] = { counts, symbols };
    p += 17 + total;
  }
}

function readQuantTables(d: Uint8Array, defined: boolean[]): void {
  for (let p = 0; p < d.length; ) {
    const pq = d[p] >> 4;
    const tq = d[p] & 15;
    if (pq > 1 || tq > 3) throw corrupt(`JPEG DQT defines an invalid table ${hex(d[p])}`);
    p += 1 + 64 * (pq + 1);
    if (p > d.length) throw corrupt('JPEG DQT segment is cut inside a table');
    defined[tq] = true;
  }
}

/** MCUs in a scan: one block each for a single-component scan, else the frame's MCU grid. */
function scanMcus(frame: Omit<JpegStructure, 'scans' | 'applications'>, components: number[]): number {
  const hmax = Math.max(...frame.components.map((c) => c.h));
  const vmax = Math.max(...frame.components.map((c) => c.v));
  if (components.length === 1) {
    const c = frame.components[components[0]];
    const w = Math.ceil((frame.width * c.h) / hmax);
    const h = Math.ceil((frame.height * c.v) / vmax);
    return Math.ceil(w / 8) * Math.ceil(h / 8);
  }
  return Math.ceil(frame.width / (8 * hmax)) * Math.ceil(frame.height / (8 * vmax));
}

/**
 * Walks a JPEG's markers from SOI through EOI and checks what can be checked without Huffman decoding: every segment
 * inside the file and of the right length, one SOF (8-bit, Huffman-coded baseline/extended/progressive, 1 or 3
 * components, integral subsampling), DQT/DHT tables valid and defined before the scans that use them, each SOS
 * consistent with the frame and (progressive) with the scans before it, as libjpeg checks; entropy-coded data present,
 * restart markers in sequence and exactly as many as the restart interval implies; every component coded; EOI
 * present (a file cut before EOI is `truncated`, which Pillow refuses too). Bytes after EOI are ignored, as every
 * JPEG reader does (MPO files keep more images there). Huffman-decoding the scans is {@link verifyJpegScans}.
 * @throws ImageBytesError
 */
export function readJpegStructure(bytes: Uint8Array): JpegStructure {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw corrupt('not a JPEG file (no SOI marker)');
  let frame: Omit<JpegStructure, 'scans' | 'applications'> | undefined;
  const scans: JpegScan[] = [];
  const applications: JpegStructure['applications'] = [];
  const dc: (JpegHuffmanTable | undefined)[] = [];
  const ac: (JpegHuffmanTable | undefined)[] = [];
  const quant: boolean[] = [];
  const quantLatched: boolean[] = [];
  let restartInterval = 0;
  let coefBits: number[][] = [];
  const scanned = new Set<number>();
  let pos = 2;
  for (;;) {
    if (pos >= bytes.length) throw truncated('JPEG ends before its EOI marker');
    if (bytes[pos] !== 0xff) throw corrupt(`JPEG has stray bytes at ${pos} where a marker belongs`);
    while (bytes[pos + 1] === 0xff) pos++; // fill bytes
    if (pos + 1 >= bytes.length) throw truncated('JPEG ends before its EOI marker');
    const marker = bytes[pos + 1];
    pos += 2;
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) {
      throw corrupt(`JPEG has an unexpected marker ${hex(marker)} at byte ${pos - 2}`);
    }
    if (pos + 2 > bytes.length) throw truncated(`JPEG ends inside the ${hex(marker)} segment`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) throw corrupt(`JPEG ${hex(marker)} segment has length ${length}`);
    if (pos + length > bytes.length) throw truncated(`JPEG ends inside the ${hex(marker)} segment`);
    const d = bytes.subarray(pos + 2, pos + length);
    pos += length;

    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame) throw corrupt('JPEG has a second frame header');
      frame = readFrame(marker, d);
      coefBits = frame.components.map(() => new Array<number>(64).fill(-1));
    } else if (UNSUPPORTED_PROCESSES[marker]) {
      throw new ImageBytesError('unsupported_format', `${UNSUPPORTED_PROCESSES[marker]} JPEG images are not supported`);
    } else if (marker === 0xc4) {
      readHuffmanTables(d, dc, ac);
    } else if (marker === 0xdb) {
      readQuantTables(d, quant);
    } else if (marker === 0xdd) {
      if (d.length !== 2) throw corrupt('JPEG DRI segment is not 4 bytes');
      restartInterval = (d[0] << 8) | d[1];
    } else if ((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe) {
      if (marker !== 0xfe) applications.push({ marker, data: d });
    } else if (marker === 0xcc) {
      // DAC (arithmetic conditioning): harmless here; an arithmetic-coded frame is refused at its SOF.
    } else if (marker === 0xda) {
      if (!frame) throw corrupt('JPEG scan comes before its frame header');
      const scan = readScanHeader(frame, d, { dc, ac, quant, quantLatched, coefBits, scanned, restartInterval });
      pos = readEntropyData(bytes, pos, scan);
      scans.push(scan);
    } else {
      throw (marker === 0xdc ? (m: string) => new ImageBytesError('unsupported_format', m) : corrupt)(
        `JPEG has an unsupported marker ${hex(marker)}`,
      );
    }
  }
  if (!frame) throw corrupt('JPEG has no frame header');
  if (scans.length === 0) throw truncated('JPEG has no scan');
  frame.components.forEach((c, i) => {
    if (frame.process === 'progressive' ? coefBits[i][0] < 0 : !scanned.has(i)) {
      throw truncated(`JPEG ends before component ${c.id} was coded`);
    }
  });
  return { ...frame, scans, applications };
}

interface ScanContext {
  dc: (JpegHuffmanTable | undefined)[];
  ac: (JpegHuffmanTable | undefined)[];
  quant: boolean[];
  quantLatched: boolean[];
  coefBits: number[][];
  scanned: Set<number>;
  restartInterval: number;
}

function readScanHeader(
  frame: Omit<JpegStructure, 'scans' | 'applications'>,
  d: Uint8Array,
  ctx: ScanContext,
): JpegScan {
  const count = d[0];
  if (count < 1 || count > 4 || d.length !== 4 + 2 * count) throw corrupt('JPEG SOS segment is malformed');
  const components: number[] = [];
  const tables: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const index = frame.components.findIndex((c) => c.id === d[1 + 2 * i]);
    if (index < 0) throw corrupt(`JPEG scan names component ${d[1 + 2 * i]}, which the frame does not have`);
    if (components.includes(index)) throw corrupt(`JPEG scan names component ${d[1 + 2 * i]} twice`);
    const td = d[2 + 2 * i] >> 4;
    const ta = d[2 + 2 * i] & 15;
    if (td > 3 || ta > 3) throw corrupt('JPEG scan names a Huffman table above 3');
    components.push(index);
    tables.push([td, ta]);
  }
  const ss = d[1 + 2 * count];
  const se = d[2 + 2 * count];
  const ah = d[3 + 2 * count] >> 4;
  const al = d[3 + 2 * count] & 15;
  const blocksPerMcu = components.reduce((s, i) => s + frame.components[i].h * frame.components[i].v, 0);
  if (count > 1 && blocksPerMcu > 10) throw corrupt(`JPEG scan has ${blocksPerMcu} blocks per MCU (at most 10)`);

  const progressive = frame.process === 'progressive';
  if (!progressive) {
    if (ss !== 0 || se !== 63 || ah !== 0 || al !== 0)
      throw corrupt('JPEG sequential scan has invalid spectral parameters');
    for (const i of components) {
      if (ctx.scanned.has(i)) throw corrupt(`JPEG sequential frame codes component ${frame.components[i].id} twice`);
      ctx.scanned.add(i);
    }
  } else {
    const dcBand = ss === 0;
    const bad = (dcBand ? se !== 0 : ss > se || se > 63 || count !== 1) || (ah !== 0 && al !== ah - 1) || al > 13;
    if (bad) throw corrupt(`JPEG progressive scan has invalid parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`);
    // libjpeg's progression check (JWRN_BOGUS_PROGRESSION): each coefficient's bits arrive in order, DC first.
    for (const i of components) {
      const bits = ctx.coefBits[i];
      if (!dcBand && bits[0] < 0)
        throw corrupt(`JPEG AC scan of component ${frame.components[i].id} comes before its DC scan`);
      for (let k = ss; k <= se; k++) {
        if (ah !== Math.max(bits[k], 0)) {
          throw corrupt(`JPEG progression is inconsistent for component ${frame.components[i].id} coefficient ${k}`);
        }
        bits[k] = al;
      }
    }
  }
  const needsDc = !progressive || (ss === 0 && ah === 0);
  const needsAc = !progressive || ss > 0;
  const dcTables = tables.map(([td]) => (needsDc ? ctx.dc[td] : undefined));
  const acTables = tables.map(([, ta]) => (needsAc ? ctx.ac[ta] : undefined));
  tables.forEach(([td, ta], i) => {
    if (needsDc && !dcTables[i]) throw corrupt(`JPEG scan uses DC Huffman table ${td}, which is not defined`);
    if (needsAc && !acTables[i]) throw corrupt(`JPEG scan uses AC Huffman table ${ta}, which is not defined`);
  });
  // libjpeg latches a component's quantisation table at its first scan.
  for (const i of components) {
    const { tq, id } = frame.components[i];
    if (!ctx.quantLatched[i] && !ctx.quant[tq])
      throw corrupt(`JPEG component ${id} uses quantisation table ${tq}, which is not defined`);
    ctx.quantLatched[i] = true;
  }
  return {
    components,
    dcTables,
    acTables,
    ss,
    se,
    ah,
    al,
    restartInterval: ctx.restartInterval,
    mcus: scanMcus(frame, components),
    intervals: [],
  };
}

/** Collects a scan's entropy-coded data up to the next marker (not RSTn), checking restart markers; returns its end. */
function readEntropyData(bytes: Uint8Array, start: number, scan: JpegScan): number {
  let segment = start;
  let i = start;
  for (;;) {
    if (i >= bytes.length) throw truncated('JPEG scan data runs to the end of the file (no EOI marker)');
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < bytes.length && bytes[j] === 0xff) j++;
    if (j >= bytes.length) throw truncated('JPEG scan data runs to the end of the file (no EOI marker)');
    const m = bytes[j];
    if (m === 0x00) {
      i = j + 1;
      continue;
    }
    const isRestart = m >= 0xd0 && m <= 0xd7;
    if (i === segment)
      throw truncated(`JPEG scan has an empty ${scan.intervals.length ? 'restart interval' : 'data segment'}`);
    scan.intervals.push(bytes.subarray(segment, i));
    if (!isRestart) break;
    if (scan.restartInterval === 0) throw corrupt('JPEG scan has a restart marker but no restart interval');
    if (m - 0xd0 !== (scan.intervals.length - 1) % 8)
      throw corrupt(`JPEG restart marker RST${m - 0xd0} is out of sequence`);
    segment = i = j + 1;
  }
  if (scan.restartInterval > 0) {
    const expected = Math.ceil(scan.mcus / scan.restartInterval);
    if (scan.intervals.length !== expected) {
      throw new ImageBytesError(
        scan.intervals.length < expected ? 'truncated' : 'excess_data',
        `JPEG scan has ${scan.intervals.length} restart intervals where its ${scan.mcus} MCUs need ${expected}`,
      );
    }
  }
  return i;
}

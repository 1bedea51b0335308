import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { LocalHubServer } from '../../test/helpers/local-hub-server.js';
import { type ComponentManifest, convertComponent } from '../convert/convert-component.js';
import { readSafetensors } from '../io/safetensors.js';
import { pullWeights } from './pull.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const REPO = 'kandinsky-community/kandinsky-2-1';
const REPO_DIR = join(FIXTURES, 'hub', 'repos', REPO);
const BIN = 'movq/diffusion_pytorch_model.bin';
const BIN_KEY = `${REPO}/${BIN}`;
/** The same MoVQ as saved by diffusers (safetensors): the reference the pulled .bin must convert identically to. */
const REFERENCE_MOVQ = join(FIXTURES, 'hub', 'reference-movq');

let hub: LocalHubServer;
let hubUrl: string;
let work: string;
let reference: ComponentManifest;
let cacheDir: string;
let outDir: string;
const lines: string[] = [];

beforeAll(async () => {
  await useTestBackend();
  work = await mkdtemp(join(tmpdir(), 'pull-'));
  reference = await convertComponent(REFERENCE_MOVQ, join(work, 'reference-movq'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

beforeEach(async () => {
  hub = new LocalHubServer(join(FIXTURES, 'hub', 'repos'));
  hubUrl = await hub.start();
  const run = await mkdtemp(join(work, 'run-'));
  cacheDir = join(run, 'cache');
  outDir = join(run, 'model');
  lines.length = 0;
});
afterEach(() => hub.stop());

function pull(extra: Partial<Parameters<typeof pullWeights>[0]> = {}) {
  return pullWeights({
    repos: [REPO],
    hubUrl,
    cacheDir,
    outDir,
    retryDelayMs: () => 1,
    log: (line) => lines.push(line),
    ...extra,
  });
}

/** Body bytes the server sent for a file = what the client asked for, from the Range headers it sent. */
function downloadRequests(path: string, repo = REPO) {
  return hub.requests.filter(
    (r) => new RegExp(`^/${repo}/resolve/[0-9a-f]{40}/${path}$`).test(r.path) && r.range !== 'bytes=0-0',
  );
}

describe('kandinsky weights pull (against a local hub server)', () => {
  it('downloads only what the pipeline needs, resumes an interrupted download, and converts the .bin like the reference safetensors', async () => {
    hub.faults.cutAfter.set(BIN_KEY, { bytes: 1_500_000, times: 1 });
    const [result] = await pull();

    // Everything was listed and fetched at the commit `main` resolved to, never at the moving branch name.
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(hub.requests.filter((r) => r.path.includes('/main')).map((r) => r.path)).toEqual([
      `/api/models/${REPO}/revision/main`,
    ]);
    expect(hub.requests.filter((r) => r.path.includes(result.commit)).length).toBeGreaterThan(4);

    const downloaded = result.files.map((f) => f.path).sort();
    expect(downloaded).toEqual(['model_index.json', 'movq/config.json', BIN, 'scheduler/scheduler_config.json']);
    expect(
      hub.requests.some((r) => r.path.includes('README') || r.path.includes('msgpack') || r.path.includes('fp16')),
    ).toBe(false);

    // The first GET was cut after 1.5 MB; the retry asked for the rest only.
    const gets = downloadRequests(BIN);
    expect(gets).toHaveLength(2);
    expect(gets[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-/.exec(gets[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_500_000);
    expect(lines.some((l) => /interrupted at .*will resume/.test(l))).toBe(true);
    expect(lines.some((l) => /resuming at/.test(l))).toBe(true);

    // The downloaded file is the published one.
    const bytes = await readFile(join(cacheDir, 'hub', REPO, BIN));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(sha256).toBe(
      createHash('sha256')
        .update(await readFile(join(REPO_DIR, BIN)))
        .digest('hex'),
    );
    expect(result.files.find((f) => f.path === BIN)?.sha256).toBe(sha256);

    // Converting the pulled .bin gives byte-identical TF.js shards to converting the diffusers safetensors.
    const movq = result.conversion?.components.movq;
    expect(movq?.kind).toBe(reference.kind);
    expect(movq?.parameterCount).toBe(reference.parameterCount);
    expect(movq?.files).toEqual(reference.files);
    expect(result.conversion?.copied).toEqual(['scheduler']);
    const source = JSON.parse(await readFile(join(outDir, 'weights-source.json'), 'utf8'));
    expect(source.repos[0]).toMatchObject({ repo: REPO, revision: 'main', commit: result.commit });
    expect(source.repos[0].files).toContainEqual({ path: BIN, bytes: bytes.length, sha256 });
    expect(JSON.parse(await readFile(join(outDir, 'scheduler', 'scheduler_config.json'), 'utf8')).beta_end).toBe(0.012);
  });

  it('detects a corrupted download, deletes it, and fetches it again', async () => {
    hub.faults.corrupt.set(BIN_KEY, { times: 1 });
    const [result] = await pull();
    expect(
      lines.some((l) =>
        /movq\/diffusion_pytorch_model\.bin: sha256 \w+ but the hub publishes \w+; downloading it again/.test(l),
      ),
    ).toBe(true);
    expect(downloadRequests(BIN)).toHaveLength(2);
    expect(result.conversion?.components.movq.files).toEqual(reference.files);
  });

  it('fails with a clear error when every copy served is corrupt, and leaves no file behind', async () => {
    hub.faults.corrupt.set(BIN_KEY, { times: Number.POSITIVE_INFINITY });
    await expect(pull({ attempts: 2 })).rejects.toThrow(
      /diffusion_pytorch_model\.bin: corrupted download, sha256 \w+ but the hub publishes \w+; the partial file was deleted \(checked 2 times\)/,
    );
    const movqDir = join(cacheDir, 'hub', REPO, 'movq');
    expect((await readdir(movqDir)).filter((n) => n.includes('pytorch_model'))).toEqual([]);
    expect(existsSync(join(outDir, 'movq'))).toBe(false);
  });

  it('detects a corrupted small (non-LFS) file through its git blob id', async () => {
    hub.faults.corrupt.set(`${REPO}/movq/config.json`, { times: Number.POSITIVE_INFINITY });
    await expect(pull({ attempts: 1 })).rejects.toThrow(
      /config\.json: corrupted download, git blob id \w+ but the hub publishes \w+/,
    );
  });

  it('resumes a .part left by an earlier run, and re-verifies complete files instead of fetching them again', async () => {
    const published = await readFile(join(REPO_DIR, BIN));
    const part = join(cacheDir, 'hub', REPO, `${BIN}.part`);
    await mkdir(join(cacheDir, 'hub', REPO, 'movq'), { recursive: true });
    await writeFile(part, published.subarray(0, 1_000_000));
    await pull({ outDir: undefined });
    expect(downloadRequests(BIN).map((r) => r.range)).toEqual(['bytes=1000000-4462250']);

    const before = hub.requests.length;
    const [again] = await pull({ outDir: undefined });
    expect(again.files.every((f) => f.fetched === 0)).toBe(true);
    expect(hub.requests.slice(before).filter((r) => r.path.includes('/resolve/'))).toEqual([]);
    expect(lines.filter((l) => /already downloaded and verified/.test(l))).toHaveLength(4);
  });

  it('replaces a local copy that was damaged after download', async () => {
    await pull({ outDir: undefined });
    const file = join(cacheDir, 'hub', REPO, BIN);
    const bytes = await readFile(file);
    bytes[100] ^= 1;
    await writeFile(file, bytes);
    await pull({ outDir: undefined });
    expect(lines.some((l) => /local copy does not match the hub; downloading it again/.test(l))).toBe(true);
    expect(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    ).toBe(
      createHash('sha256')
        .update(await readFile(join(REPO_DIR, BIN)))
        .digest('hex'),
    );
  });

  it('pulls the fp16 variant when asked: F16 tensors equal the reference weights rounded to half precision', async () => {
    const [result] = await pull({ variant: 'fp16', outDir: undefined });
    expect(result.files.map((f) => f.path)).toContain('movq/diffusion_pytorch_model.fp16.bin');
    expect(result.files.map((f) => f.path)).not.toContain(BIN);
    // Prepared under the default name, so the converter needs no variant logic.
    const prepared = await readSafetensors(join(result.prepared, 'movq', 'diffusion_pytorch_model.safetensors'));
    const ref = await readSafetensors(join(REFERENCE_MOVQ, 'diffusion_pytorch_model.safetensors'));
    expect([...prepared.keys()].sort()).toEqual([...ref.keys()].sort());
    let worst = 0;
    for (const [name, t] of ref) {
      const half = prepared.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        const x = t.data[i];
        // Half precision: relative error <= 2^-11 for normal values, absolute <= 2^-25 below 2^-14.
        worst = Math.max(worst, Math.abs(half[i] - x) / Math.max(Math.abs(x), 2 ** -14));
      }
    }
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    expect(worst).toBeGreaterThan(0); // the values really went through float16
  });

  it('links content another repository already delivered instead of downloading it again (still verified)', async () => {
    const twin = 'kandinsky-community/kandinsky-2-1-inpaint';
    const results = await pull({ repos: [REPO, twin], outDir: undefined });
    expect(results[1].files.find((f) => f.path === BIN)?.fetched).toBe(0);
    expect(downloadRequests(BIN, twin)).toEqual([]);
    expect(lines.some((l) => l.startsWith(`${twin}: ${BIN}: same content as`))).toBe(true);
    expect((await readFile(join(cacheDir, 'hub', twin, BIN))).equals(await readFile(join(REPO_DIR, BIN)))).toBe(true);
  });

  it('sends the hub token on every request when one is given', async () => {
    await pull({ outDir: undefined, accessToken: 'hf_testtoken' });
    const calls = hub.requests.filter((r) => r.path.startsWith('/api/') || r.path.includes('/resolve/'));
    expect(calls.length).toBeGreaterThan(4);
    expect(calls.every((r) => r.authorization === 'Bearer hf_testtoken')).toBe(true);
  });

  it('refuses a listing whose paths would escape the cache folder', async () => {
    // A hostile mirror: the tree API answer gains an entry pointing outside the repository.
    const hostile: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/tree/')) return res;
      const tree = (await res.json()) as unknown[];
      tree.push({ type: 'file', path: '../../outside.json', size: 2, oid: 'x' });
      return new Response(JSON.stringify(tree), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    await expect(pull({ fetch: hostile })).rejects.toThrow(
      /refusing the file path "..\/..\/outside.json" in the listing/,
    );
    expect(existsSync(join(cacheDir, 'outside.json'))).toBe(false);
    expect(downloadRequests(BIN)).toEqual([]);
  });

  it("checks only the size of files the hub lists by xet hash alone (their git oid is the pointer's)", async () => {
    const xetOnly: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('/tree/')) return res;
      const tree = (await res.json()) as { path: string; lfs?: unknown; xetHash?: string }[];
      for (const entry of tree.filter((e) => e.lfs)) {
        delete entry.lfs;
        entry.xetHash = 'f'.repeat(64);
      }
      return new Response(JSON.stringify(tree), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const [result] = await pull({ fetch: xetOnly, outDir: undefined });
    expect(result.files.find((f) => f.path === BIN)?.sha256).toBeUndefined();
    expect(lines).toContain(`${REPO}: ${BIN}: the hub lists no SHA-256 for it (xet only); checking its size only`);
    expect((await readFile(join(cacheDir, 'hub', REPO, BIN))).equals(await readFile(join(REPO_DIR, BIN)))).toBe(true);
  });

  it('names the repository when it does not exist', async () => {
    await expect(pull({ repos: ['kandinsky-community/no-such-repo'] })).rejects.toThrow(
      /kandinsky-community\/no-such-repo@main: cannot resolve the revision/,
    );
  });
});

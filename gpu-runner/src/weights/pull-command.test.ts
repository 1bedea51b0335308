import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { LocalHubServer } from '../../test/helpers/local-hub-server.js';
import { weightsCommand } from './pull-command.js';

let hub: LocalHubServer;
let hubUrl: string;
let work: string;

beforeAll(async () => {
  await useTestBackend();
  hub = new LocalHubServer(join(import.meta.dirname, '../../test/fixtures/hub/repos'));
  hubUrl = await hub.start();
  work = await mkdtemp(join(tmpdir(), 'pull-cli-'));
});
afterAll(async () => {
  await hub.stop();
  await rm(work, { recursive: true, force: true });
});

describe('kandinsky weights pull (CLI)', () => {
  it('pulls and converts a repository from the given hub into --out', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(work, 'model');
      const code = await weightsCommand([
        'pull',
        '--out',
        out,
        '--repo',
        'kandinsky-community/kandinsky-2-1',
        '--hub-url',
        hubUrl,
        '--cache-dir',
        join(work, 'cache'),
        '--dtype',
        'float16',
      ]);
      expect(code).toBe(0);
      const manifest = JSON.parse(await readFile(join(out, 'movq', 'component.json'), 'utf8'));
      expect(manifest.dtype).toBe('float16');
      expect(existsSync(join(out, 'scheduler', 'scheduler_config.json'))).toBe(true);
      expect(
        log.mock.calls
          .map((c) => String(c[0]))
          .some((l) => /kandinsky-2-1@main \(commit [0-9a-f]{40}\): 4 files, .*; movq/.test(l)),
      ).toBe(true);
    } finally {
      log.mockRestore();
    }
  });

  it('rejects bad options with usage and exit code 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await weightsCommand(['pull', '--dtype', 'int8'])).toBe(2);
      const text = err.mock.calls.map((c) => String(c[0])).join('\n');
      expect(text).toMatch(/--out is required/);
      expect(text).toMatch(/--dtype must be float32 or float16, got "int8"/);
      expect(await weightsCommand(['fetch'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

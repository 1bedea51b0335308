import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/stack-fixture.js';
import { processesWithEnv } from './processes.js';

/**
 * `npm start` (infra/local/start.ts) as a user runs it: a start that cannot succeed says why in one line on stderr,
 * exits non-zero, and leaves no process and no secrets file behind.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kd-start-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Holds a port on 127.0.0.1 like another program would. */
async function holdPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

/** Runs `npm start`'s script with `env`; sends it SIGINT (Ctrl-C) as soon as `interruptWhen()` holds. */
async function runStart(
  env: Record<string, string>,
  opts: { interruptWhen?: () => boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('infra', 'local', 'start.ts')], {
    cwd: ROOT,
    env: { ...process.env, EDGE_PORT: '', S3_PORT: '', VERBOSE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If a test fails midway: stop it the way a user would, so it stops its children too.
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    await exited;
    clearTimeout(timer);
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const { interruptWhen } = opts;
  const poll = interruptWhen
    ? setInterval(() => {
        if (!interruptWhen()) return;
        clearInterval(poll);
        child.kill('SIGINT');
      }, 100)
    : undefined;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  return { code, stdout, stderr };
}

/** Every process started for `dir` (they all inherit STATE_DIR) is gone within a few seconds. */
async function expectNothingLeft(dir: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (processesWithEnv(`STATE_DIR=${dir}`).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  expect(processesWithEnv(`STATE_DIR=${dir}`).map((p) => p.cmdline)).toEqual([]);
  expect(await readdir(dir)).not.toContain('edge.env');
}

const NON_EMPTY_LINES = (text: string) => text.split('\n').filter((line) => line.trim());

describe('npm start fails in one clear line and leaves nothing running', () => {
  it('EDGE_PORT set to a port in use', async () => {
    const [dir, port] = [await stateDir(), await holdPort()];
    const run = await runStart({ STATE_DIR: dir, EDGE_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(NON_EMPTY_LINES(run.stderr)).toEqual([
      `npm start: port ${port} is in use (EDGE_PORT=${port}); choose another or unset EDGE_PORT`,
    ]);
    expect(NON_EMPTY_LINES(run.stdout)).toHaveLength(1);
    await expectNothingLeft(dir);
  });

  it('S3_PORT set to a port in use', async () => {
    const [dir, port] = [await stateDir(), await holdPort()];
    const run = await runStart({ STATE_DIR: dir, S3_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(NON_EMPTY_LINES(run.stderr)).toEqual([
      `npm start: port ${port} is in use (S3_PORT=${port}); choose another or unset S3_PORT`,
    ]);
    await expectNothingLeft(dir);
  });

  it('a state folder another running stack holds', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'stack.lock'), String(process.pid));
    await writeFile(join(dir, 'edge.env'), 'ADMIN_TOKEN="the running stack\'s"\n');
    const run = await runStart({ STATE_DIR: dir });
    expect(run.code).toBe(1);
    expect(NON_EMPTY_LINES(run.stderr)).toEqual([
      `npm start: another local stack (process ${process.pid}) is using ${dir}; stop it first`,
    ]);
    // The running stack's files are left alone.
    expect((await readdir(dir)).sort()).toEqual(['edge.env', 'stack.lock']);
  });

  it('Ctrl-C while the edge is starting stops what was started', async () => {
    const dir = await stateDir();
    // As soon as wrangler's workerd runs: the children live in their own process groups, out of the terminal's reach.
    const run = await runStart(
      { STATE_DIR: dir },
      { interruptWhen: () => processesWithEnv(`STATE_DIR=${dir}`).some((p) => p.cmdline.includes('workerd')) },
    );
    expect(run.code).toBe(130);
    expect(NON_EMPTY_LINES(run.stderr)).toEqual(['npm start: SIGINT while starting; stopped']);
    await expectNothingLeft(dir);
  });
});

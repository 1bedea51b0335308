#!/usr/bin/env node
/**
 * `npm test`: every check of the project, arranged for a 2-core machine.
 *
 * Why not one `&&` chain: the full-size seeded parity check (`gpu-runner/src/verify/full-size.test.ts`: about 2.5
 * billion weights regenerated, converted, loaded and run; ~5 minutes of one core) is one long single-threaded job, and
 * run in line it leaves the other core idle for most of its time. It starts first, in the background, and every other
 * suite runs in the foreground beside it, one after another, cheapest failure first. Its output is kept and printed
 * whole when it ends (its reports are the figures of the README's "where it stands" table).
 *
 * The first failing suite stops the run (the background check too) and sets the exit code. Each suite's time is
 * printed at the end as one JSON line.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FULL_SIZE_TEST = 'src/verify/full-size.test.ts';

/** The foreground suites, in order. */
const FOREGROUND = [
  { name: 'lint', cmd: ['npm', 'run', 'lint'] },
  { name: 'typecheck', cmd: ['npm', 'run', 'typecheck'] },
  { name: 'protocol', cmd: ['npm', 'run', 'test', '--workspace', 'protocol'] },
  { name: 'gpu-runner', cmd: ['npx', 'vitest', 'run', '--exclude', FULL_SIZE_TEST], cwd: 'gpu-runner' },
  { name: 'edge', cmd: ['npm', 'run', 'test', '--workspace', 'edge'] },
  { name: 'e2e', cmd: ['npm', 'run', 'test:e2e'] },
];

/** The background suite. */
const BACKGROUND = { name: 'gpu-runner full-size', cmd: ['npx', 'vitest', 'run', FULL_SIZE_TEST], cwd: 'gpu-runner' };

const timings = [];

/**
 * Runs one suite; `log` set means its output goes to that file instead of this terminal. Resolves with its exit code.
 * `detached` puts it in a process group of its own, so that stopping it stops vitest's workers as well.
 */
function run(suite, log) {
  const started = Date.now();
  const child = spawn(suite.cmd[0], suite.cmd.slice(1), {
    cwd: join(root, suite.cwd ?? '.'),
    stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    detached: Boolean(log),
  });
  if (log) {
    const out = createWriteStream(log);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  }
  const done = new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code) => {
      timings.push({ suite: suite.name, ok: code === 0, seconds: Math.round((Date.now() - started) / 1000) });
      resolve(code ?? 1);
    });
  });
  return { child, done };
}

function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

const logDir = mkdtempSync(join(tmpdir(), 'kd-test-'));
const backgroundLog = join(logDir, 'full-size.log');
console.log(`${BACKGROUND.name}: running in the background (output: ${backgroundLog}, printed when it ends)`);
const background = run(BACKGROUND, backgroundLog);
let backgroundDone = false;
const backgroundCode = background.done.then((code) => {
  backgroundDone = true;
  return code;
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopGroup(background.child);
    process.exit(130);
  });
}

let failed;
for (const suite of FOREGROUND) {
  console.log(`\n=== ${suite.name}${backgroundDone ? '' : ` (beside ${BACKGROUND.name})`}`);
  if ((await run(suite).done) !== 0) {
    failed = suite.name;
    break;
  }
}
if (failed) {
  console.log(`\n=== ${failed} failed; stopping ${BACKGROUND.name}`);
  stopGroup(background.child);
} else if (!backgroundDone) {
  console.log(`\n=== waiting for ${BACKGROUND.name}`);
}
const code = await backgroundCode;
console.log(`\n=== ${BACKGROUND.name} (ran in the background)`);
process.stdout.write(readFileSync(backgroundLog, 'utf8'));
if (!failed && code !== 0) failed = BACKGROUND.name;

console.log('');
for (const t of timings) console.log(JSON.stringify(t));
console.log(failed ? `npm test: FAILED (${failed})` : 'npm test: all suites passed');
process.exit(failed ? 1 : 0);

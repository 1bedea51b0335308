/**
 * `npm start`: the whole service on this machine with one command. Starts an S3-compatible server on disk, the edge
 * under `wrangler dev`, a runner and a first API key, prints how to call it, and stops everything on Ctrl-C.
 * Environment: KANDINSKY_WEIGHTS (a converted model; default: models/kandinsky-2.1, else a random-weight model),
 * EDGE_PORT and S3_PORT (exact ports; default 8787 and 9000 when free, else any free port), RUNNERS (default 1),
 * STATE_DIR (default .local; another folder runs a second stack beside the first), FRESH=1 to wipe queue and keys
 * first, VERBOSE=1 for every log line. A failed start prints one line and leaves no process behind.
 */
import { join, relative, resolve } from 'node:path';
import { PortInUseError, StackStartError } from './errors.js';
import type { PortChoice } from './ports.js';
import { startStack } from './stack.js';

const int = (value: string | undefined, fallback: number) => (value ? Number.parseInt(value, 10) : fallback);

/** Harmless noise when offline: wrangler's failed Request.cf fetch (with its stack) and the AWS SDK's Node notice. */
const NOISE =
  /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap|NodeVersionSupportWarning|versions published after|require node >=22|security updates|a\.co\/|trace-warnings|^\[[^\]]+\] *$/;

/** The ports of the stack and the variables that choose them. */
const PORTS = { edge: { variable: 'EDGE_PORT', preferred: 8787 }, s3: { variable: 'S3_PORT', preferred: 9000 } };

/** `EDGE_PORT`/`S3_PORT` when set (that exact port, or a clear failure), else the usual port when free, else any. */
function portChoice(server: keyof typeof PORTS): PortChoice {
  const { variable, preferred } = PORTS[server];
  const value = process.env[variable];
  if (value === undefined || value === '') return { preferred };
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new StackStartError(`${variable}=${value} is not a port number (0-65535)`);
  return port;
}

/** One line for a failed start; the output behind it only with VERBOSE=1. */
function describeFailure(err: unknown, verbose: boolean): string {
  if (err instanceof PortInUseError) {
    const { variable } = PORTS[err.server];
    const line = `npm start: port ${err.port} is in use (${variable}=${err.port}); choose another or unset ${variable}`;
    return verbose && err.detail ? `${line}\n${err.detail}` : line;
  }
  if (err instanceof StackStartError) {
    const line = `npm start: ${err.message}`;
    if (!err.detail) return line;
    return verbose ? `${line}\n${err.detail}` : `${line} (VERBOSE=1 shows its output)`;
  }
  const line = `npm start failed: ${(err as Error)?.message ?? String(err)}`;
  return verbose ? `${line}\n${(err as Error)?.stack ?? ''}` : line;
}

async function main(): Promise<void> {
  const verbose = process.env.VERBOSE === '1';
  const root = process.cwd();
  const stateDir = resolve(process.env.STATE_DIR || join(root, '.local'));
  // Ctrl-C while starting: the children live in their own process groups and are killed by child-process.ts's exit
  // hook; the secrets file is removed by edge-dev.ts's.
  let started = false;
  const interrupted = (signal: string) => {
    if (started) return;
    console.error(`npm start: ${signal} while starting; stopped`);
    process.exit(130);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  console.log('Starting the local Kandinsky stack (S3 on disk, edge under wrangler dev, runner)…');
  const stack = await startStack({
    stateDir,
    // One random-model build for every state folder (STATE_DIR runs a second stack beside the first).
    modelCacheDir: join(root, '.local'),
    edgePort: portChoice('edge'),
    s3Port: portChoice('s3'),
    runners: int(process.env.RUNNERS, 1),
    fresh: process.env.FRESH === '1',
    print: (line) => {
      // Runner lifecycle lines and anything the edge prints are useful; per-job debug noise is not.
      if (NOISE.test(line)) return;
      if (verbose || /"level":"(warn|error)"|runner ready|runner stopped|cannot start|random model|\[edge\]/.test(line))
        console.log(line);
    },
  });
  started = true;
  const notes: string[] = [];
  for (const [server, url] of [
    ['edge', stack.edgeUrl],
    ['s3', stack.s3.endpoint],
  ] as const) {
    const { variable, preferred } = PORTS[server];
    const port = Number(new URL(url).port);
    if (!process.env[variable] && port !== preferred)
      notes.push(`  Port ${preferred} was busy: the ${server} is on ${port} (set ${variable} to choose).`);
  }
  const shown = (path: string) => relative(root, path) || path;
  const banner = [
    '',
    `  ${stack.model.note}`,
    '',
    `  API:        ${stack.edgeUrl}/v1   (OpenAPI: ${stack.edgeUrl}/openapi.json)`,
    `  API key:    ${stack.apiKey}`,
    `  S3:         ${stack.s3.endpoint}/${stack.s3.bucket}   (data in ${shown(join(stateDir, 's3'))}; signed requests only)`,
    `  Runner:     ${stack.runners.map((r) => `${r.healthUrl}/metrics`).join(', ')}`,
    `  Admin:      ADMIN_TOKEN in ${shown(stack.secretsFile)} (readable by you only; removed on stop)`,
    ...notes,
    '',
    '  Try it:',
    `    curl -s ${stack.edgeUrl}/v1/images/generations \\`,
    `      -H "Authorization: Bearer ${stack.apiKey}" -H "Content-Type: application/json" \\`,
    `      -d '{"prompt":"a red cat on a sofa","size":"64x64","steps":10,"prior_steps":5}'`,
    '',
    '  Press Ctrl-C to stop everything.',
    '',
  ];
  console.log(banner.join('\n'));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping runners (finishing or releasing their jobs), then the edge and S3…`);
      void stack.stop().then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  console.log('Stopped.');
}

main().catch((err) => {
  console.error(describeFailure(err, process.env.VERBOSE === '1'));
  process.exit(1);
});

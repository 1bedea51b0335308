/**
 * `npm start`: the whole service on this machine with one command. Starts an S3-compatible server on disk, the edge
 * under `wrangler dev`, a runner and a first API key, prints how to call it, and stops everything on Ctrl-C.
 * Environment: KANDINSKY_WEIGHTS (a converted model; default: models/kandinsky-2.1, else a random-weight model),
 * EDGE_PORT (default 8787), S3_PORT (default 9000), RUNNERS (default 1), FRESH=1 to wipe queue and keys first.
 */
import { freePort, portInUse } from './ports.js';
import { startStack } from './stack.js';

const int = (value: string | undefined, fallback: number) => (value ? Number.parseInt(value, 10) : fallback);

/** Harmless noise when offline: wrangler's failed Request.cf fetch (with its stack) and the AWS SDK's Node notice. */
const NOISE =
  /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap|NodeVersionSupportWarning|versions published after|require node >=22|security updates|a\.co\/|trace-warnings|^\[[^\]]+\] *$/;

/** The port asked for in `variable`, else `preferred` when free, else any free port (said out loud). */
async function choosePort(variable: string, preferred: number): Promise<number> {
  if (process.env[variable]) return int(process.env[variable], preferred);
  if (!(await portInUse(preferred))) return preferred;
  const port = await freePort();
  console.log(`Port ${preferred} is busy; using ${port} instead (set ${variable} to choose).`);
  return port;
}

async function main(): Promise<void> {
  const verbose = process.env.VERBOSE === '1';
  console.log('Starting the local Kandinsky stack (S3 on disk, edge under wrangler dev, runner)…');
  const stack = await startStack({
    edgePort: await choosePort('EDGE_PORT', 8787),
    s3Port: await choosePort('S3_PORT', 9000),
    runners: int(process.env.RUNNERS, 1),
    fresh: process.env.FRESH === '1',
    print: (line) => {
      // Runner lifecycle lines and anything the edge prints are useful; per-job debug noise is not.
      if (NOISE.test(line)) return;
      if (verbose || /"level":"(warn|error)"|runner ready|runner stopped|cannot start|random model|\[edge\]/.test(line))
        console.log(line);
    },
  });
  const banner = [
    '',
    `  ${stack.model.note}`,
    '',
    `  API:        ${stack.edgeUrl}/v1   (OpenAPI: ${stack.edgeUrl}/openapi.json)`,
    `  API key:    ${stack.apiKey}`,
    `  S3:         ${stack.s3.endpoint}/${stack.s3.bucket}   (data in .local/s3)`,
    `  Runner:     ${stack.runners.map((r) => `${r.healthUrl}/metrics`).join(', ')}`,
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
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
});

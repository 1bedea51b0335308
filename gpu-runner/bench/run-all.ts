/**
 * Runs every gpu-runner benchmark in its own process (so one bench's memory never skews another) and passes their
 * JSON lines through. `npm run bench -- movq converter` runs a subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run-all.ts', 'util.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name));
let failed = 0;
for (const name of benches) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) continue;
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    failed++;
    console.log(JSON.stringify({ name, error: `exited with ${r.status ?? r.signal}` }));
  }
}
process.exitCode = failed ? 1 : 0;

/**
 * Where the reference fixtures are. They ship with the package (`gpu-runner/fixtures/`, copied into the runner image)
 * because `kandinsky verify` and the runner's start-up check need them at run time, not only the tests.
 *
 * The root holds the sets the reference harness writes, side by side:
 * - `kandinsky21-tiny/`: tiny random-weight models of the seven components (`config.json`, `weights.safetensors`,
 *   `inputs.safetensors`, `outputs.safetensors`, `meta.json`), the seven whole-pipeline traces (`e2e_*`), the tiny
 *   tokenizers and the scheduler traces;
 * - `kandinsky21-full-seeded/`: the seven full-size components as weight manifests (every weight regenerated from a
 *   seed), small inputs and the reference outputs.
 *
 * `KANDINSKY_FIXTURES` points the whole project (verify, the start-up check, every parity test) at another root of
 * the same layout, e.g. a second fixture set made by the same harness with other seeds, weights and prompts.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable that moves the fixture root. */
export const FIXTURES_ENV = 'KANDINSKY_FIXTURES';

/** The fixture root shipped with the package. */
export const SHIPPED_FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url));

/** The tiny set's folder name under the root. */
export const TINY_SET = 'kandinsky21-tiny';
/** The full-size seeded set's folder name under the root. */
export const FULL_SEEDED_SET = 'kandinsky21-full-seeded';

/** The fixture root: `KANDINSKY_FIXTURES` when set (and not blank), else the shipped one. */
export function fixturesRoot(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env[FIXTURES_ENV]?.trim();
  return raw ? resolve(raw) : SHIPPED_FIXTURES;
}

/** The tiny set of the active root; throws a message naming the root when it has none. */
export function tinyFixtures(env: NodeJS.ProcessEnv = process.env): string {
  return fixtureSet(TINY_SET, env);
}

/** The full-size seeded set of the active root; throws a message naming the root when it has none. */
export function fullSeededFixtures(env: NodeJS.ProcessEnv = process.env): string {
  return fixtureSet(FULL_SEEDED_SET, env);
}

function fixtureSet(name: string, env: NodeJS.ProcessEnv): string {
  const root = fixturesRoot(env);
  const dir = join(root, name);
  if (!existsSync(dir)) {
    const from = env[FIXTURES_ENV]?.trim() ? `${FIXTURES_ENV}=${root}` : `the shipped fixture root ${root}`;
    throw new Error(`${from} has no ${name}/ folder (see gpu-runner/fixtures/README.md for the layout)`);
  }
  return dir;
}

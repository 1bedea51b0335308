import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RUNNER_ENV_VARS } from '../../src/service/config.js';

/** The repository root (deployment files live in `infra/`). */
export const REPO_ROOT = join(import.meta.dirname, '../../..');

/**
 * Variables a runner container may carry besides the runner's own (gpu-runner/src/service/config.ts): read by Node,
 * TensorFlow, the CUDA driver or the NVIDIA container runtime, never by our code. Anything else in a runner manifest
 * is a typo or a setting the runner silently ignores, which is what these checks exist to catch.
 */
export const PLATFORM_ENV = new Set([
  'NODE_ENV',
  'NODE_OPTIONS',
  'TF_CPP_MIN_LOG_LEVEL',
  'NVIDIA_VISIBLE_DEVICES',
  'NVIDIA_DRIVER_CAPABILITIES',
  'CUDA_CACHE_PATH',
  'CUDA_CACHE_MAXSIZE',
]);

/** Names the runner would not understand. */
export function unknownRunnerVars(names: Iterable<string>): string[] {
  const known = new Set<string>(RUNNER_ENV_VARS);
  return [...names].filter((n) => !known.has(n) && !PLATFORM_ENV.has(n));
}

/** Reads a repository file as text. */
export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** Parses every document of a YAML file, failing on any syntax error or warning. */
export function readYamlDocs(path: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(readRepoFile(path), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc, i) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${path} (document ${i + 1}): ${problems.map((p) => p.message).join('; ')}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

/** Parses a `KEY=value` env file (comments and blank lines ignored; duplicate keys are an error). */
export function parseEnvFile(text: string, path = 'env file'): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${path}:${i + 1}: not KEY=value: ${line}`);
    if (m[1] in out) throw new Error(`${path}:${i + 1}: ${m[1]} is set twice`);
    out[m[1]] = m[2];
  });
  return out;
}

/**
 * Docker Compose variable interpolation for the forms our compose file uses: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `$$` (a literal `$`). A `:?` variable that is unset or empty throws its message.
 */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name?: string, op?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const v = vars[name!];
      const empty = v === undefined || (op?.startsWith(':') && v === '');
      if (op === ':?' || op === '?') {
        if (empty) throw new Error(`compose: ${name}: ${arg}`);
        return v!;
      }
      if (op === ':-' || op === '-') return empty ? (arg ?? '') : v!;
      return v ?? '';
    },
  );
}

/** Names used as `${NAME...}` in a text, with whether they are required (`:?`) or have a default. */
export function composeVariables(text: string): Map<string, 'required' | 'default' | 'plain'> {
  const out = new Map<string, 'required' | 'default' | 'plain'>();
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?/g)) {
    const kind = m[2]?.endsWith('?') ? 'required' : m[2] ? 'default' : 'plain';
    if (out.get(m[1]) !== 'required') out.set(m[1], kind);
  }
  return out;
}

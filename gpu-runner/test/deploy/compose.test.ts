import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunnerConfig } from '../../src/service/config.js';
import {
  composeVariables,
  interpolate,
  parseEnvFile,
  REPO_ROOT,
  readRepoFile,
  readYamlDocs,
  unknownRunnerVars,
} from './deploy-files.js';

// biome-ignore lint/suspicious/noExplicitAny: compose file checked field by field
type Obj = Record<string, any>;

const COMPOSE = 'infra/compose/compose.yaml';
const text = readRepoFile(COMPOSE);
const [compose] = readYamlDocs(COMPOSE) as Obj[];
const example = parseEnvFile(readRepoFile('infra/compose/example.env'), 'example.env');

describe('single-host compose file (static checks)', () => {
  it('parses, with an S3 server, a bucket initialiser, the weights tool and a GPU runner', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['runner', 's3', 's3-init', 'weights']);
    const gpu = compose.services.runner.deploy.resources.reservations.devices[0];
    expect(gpu).toEqual({ driver: 'nvidia', count: 1, capabilities: ['gpu'] });
    for (const name of ['runner', 'weights']) {
      const build = compose.services[name].build;
      expect(existsSync(join(REPO_ROOT, 'infra/compose', build.context, build.dockerfile))).toBe(true);
    }
  });

  it('the runner gets only variables its config schema knows', () => {
    expect(unknownRunnerVars(Object.keys(compose.services.runner.environment))).toEqual([]);
  });

  it('example.env sets every required variable, and the runner environment it yields passes the runner schema', () => {
    const required = [...composeVariables(text)].filter(([, kind]) => kind === 'required').map(([name]) => name);
    expect(required.filter((name) => !(name in example))).toEqual([]);
    const env = Object.fromEntries(
      Object.entries(compose.services.runner.environment as Record<string, string>).map(([k, v]) => [
        k,
        interpolate(String(v), example),
      ]),
    );
    const config = loadRunnerConfig(env);
    expect(config.KANDINSKY_WEIGHTS).toBe('s3://kandinsky-models/kandinsky-2-1/fp32');
    expect(config.S3_ENDPOINT).toBe('http://s3:9000');
    // Docker must wait longer than the runner's drain before it kills the container.
    expect(Number(/^(\d+)s$/.exec(compose.services.runner.stop_grace_period)![1]) * 1000).toBeGreaterThanOrEqual(
      config.SHUTDOWN_GRACE_MS + 10_000,
    );
  });

  it('refuses to start without the edge URL and secret (compose interpolation fails with the message)', () => {
    const { EDGE_URL: _, ...withoutEdge } = example;
    expect(() => interpolate(String(compose.services.runner.environment.EDGE_URL), withoutEdge)).toThrow(
      /EDGE_URL: set EDGE_URL in \.env/,
    );
  });
});

describe('interpolate', () => {
  it('handles defaults, required values and $$', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
    expect(interpolate('${A:-x}/${B-y}/$${C}', { B: '' })).toBe('x//${C}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax, not a template
    expect(() => interpolate('${A:?needed}', { A: '' })).toThrow(/A: needed/);
  });
});

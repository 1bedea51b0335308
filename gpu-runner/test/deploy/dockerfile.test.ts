import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, readRepoFile, unknownRunnerVars } from './deploy-files.js';
import { type DockerInstruction, envPairs, parseDockerfile } from './dockerfile.js';

const DOCKERFILE = 'infra/runner/runner.Dockerfile';
const instructions = parseDockerfile(readRepoFile(DOCKERFILE));
const finalStage = Math.max(...instructions.map((i) => i.stage));
const runtime = instructions.filter((i) => i.stage === finalStage);
const last = (keyword: string): DockerInstruction | undefined => runtime.filter((i) => i.keyword === keyword).at(-1);
const globalArgs = Object.fromEntries(
  instructions.filter((i) => i.stage === -1 && i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]),
);

describe('runner container image (static checks; no Docker engine here)', () => {
  it('parses, and the final stage is the runtime', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
      '${CUDA_IMAGE} AS node-base',
      'node-base AS deps',
      'node-base AS runtime',
    ]);
  });

  it('builds on the CUDA 11.2 + cuDNN 8 image that tfjs-node-gpu 4.22.0 (libtensorflow 2.9.1) needs', () => {
    const pkg = JSON.parse(readRepoFile('gpu-runner/package.json'));
    // The CUDA pairing below is for this tfjs version; bumping tfjs means re-checking CUDA/cuDNN first.
    expect(pkg.optionalDependencies['@tensorflow/tfjs-node-gpu']).toBe('4.22.0');
    expect(globalArgs.CUDA_IMAGE).toMatch(/^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-/);
  });

  it('installs a Node that satisfies the workspace engines field, verified against the release checksums', () => {
    const engines = JSON.parse(readRepoFile('package.json')).engines.node as string;
    const [major, minor] = globalArgs.NODE_VERSION.split('.').map(Number);
    const [, wantMajor, wantMinor] = /^>=(\d+)\.(\d+)/.exec(engines)!.map(Number);
    expect(major === wantMajor ? minor >= wantMinor : major > wantMajor).toBe(true);
    expect(instructions.some((i) => i.keyword === 'RUN' && /sha256sum -c/.test(i.args))).toBe(true);
  });

  it('runs as a non-root numeric user, with a health check on /healthz and SIGTERM to drain', () => {
    expect(last('USER')?.args).toBe('10001:10001');
    const health = last('HEALTHCHECK');
    expect(health?.args).toMatch(/--start-period=\d+s/);
    expect(health?.exec?.join(' ')).toMatch(/\/healthz/);
    expect(last('STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  it('starts the runner service entry point, which exists', () => {
    const entry = last('ENTRYPOINT')?.exec;
    expect(entry).toEqual(['node', '--import', 'tsx', 'src/service/main.ts']);
    const workdir = last('WORKDIR')!.args;
    expect(existsSync(join(REPO_ROOT, workdir.replace(/^\/app\/?/, ''), 'src/service/main.ts'))).toBe(true);
  });

  it('copies only paths that exist in the build context', () => {
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1))
        expect(existsSync(join(REPO_ROOT, src)), `${DOCKERFILE}:${copy.line} ${src}`).toBe(true);
    }
  });

  it('sets only variables the runner understands, and exposes the port it listens on', () => {
    const env = envPairs(runtime);
    expect(unknownRunnerVars(Object.keys(env))).toEqual([]);
    const referenced = [...readRepoFile(DOCKERFILE).matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((m) => m[1]);
    expect(unknownRunnerVars(referenced)).toEqual([]);
    expect(last('EXPOSE')?.args).toBe(env.PORT);
    expect(env.KANDINSKY_BACKEND).toBe('node-gpu');
  });

  it('keeps model files and local state out of the build context, but nothing a COPY needs', () => {
    const patterns = readFileSync(join(REPO_ROOT, `${DOCKERFILE}.dockerignore`), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const pattern of ['**/node_modules', '**/*.safetensors', '**/*.bin', '.git'])
      expect(patterns).toContain(pattern);
    // Every file under every COPY source must reach the builder (the shipped fixtures are safetensors files).
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))) {
      const sources = copy.args
        .split(/\s+/)
        .filter((p) => !p.startsWith('--'))
        .slice(0, -1);
      for (const src of sources) {
        const dropped = filesUnder(src).filter((f) => excluded(patterns, f));
        expect(dropped, `${DOCKERFILE}:${copy.line} ${src}`).toEqual([]);
      }
    }
    expect(excluded(patterns, 'models/kandinsky-2.1/unet/main/group1-shard1of2.bin')).toBe(true);
    expect(excluded(patterns, 'gpu-runner/test/fixtures/hub/reference-movq/diffusion_pytorch_model.safetensors')).toBe(
      true,
    );
  });

  it('ships the reference fixtures that `kandinsky verify` and the start-up check read', () => {
    const copies = instructions.filter((i) => i.keyword === 'COPY' && i.stage === finalStage).map((i) => i.args);
    expect(copies).toContain('gpu-runner/fixtures gpu-runner/fixtures');
    const files = filesUnder('gpu-runner/fixtures');
    expect(files.filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(40);
    expect(files).toContain('gpu-runner/fixtures/kandinsky21-full-seeded/unet/manifest.json');
  });
});

describe('parseDockerfile', () => {
  it('joins continuations, skips comments, and rejects unknown instructions', () => {
    const parsed = parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # inner\n  && y\nENV A=1 B="two words"\n');
    expect(parsed.map((i) => [i.keyword, i.args])).toEqual([
      ['FROM', 'a AS b'],
      ['RUN', 'x  && y'],
      ['ENV', 'A=1 B="two words"'],
    ]);
    expect(envPairs(parsed)).toEqual({ A: '1', B: 'two words' });
    expect(() => parseDockerfile('FROM a\nRUNN x\n')).toThrow(/line 2: unknown instruction RUNN/);
    expect(() => parseDockerfile('FROM a\nCMD ["a", \n')).toThrow(/line 2: CMD looks like JSON but does not parse/);
  });
});

/** Whether a .dockerignore pattern (`*`, `**`, no `!`) matches `path` or one of its parent folders. */
function ignores(pattern: string, path: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .split('**/')
      .map((part) => part.replace(/\*/g, '[^/]*'))
      .join('(?:.*/)?')}$`,
  );
  const parts = path.replace(/\/$/, '').split('/');
  return parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')));
}

/** Whether `path` is left out of the build context: the last pattern matching it decides, `!` re-includes. */
function excluded(patterns: string[], path: string): boolean {
  let out = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (ignores(negated ? p.slice(1) : p, path)) out = !negated;
  }
  return out;
}

/** Every file at or under a repository path (the path itself when it is a file). */
function filesUnder(path: string): string[] {
  const full = join(REPO_ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)));
}

describe('ignores and excluded (the .dockerignore check above)', () => {
  it('match like the builder for the patterns used', () => {
    expect(ignores('**/*.bin', 'gpu-runner/bin')).toBe(false);
    expect(ignores('**/*.bin', 'a/b/model.bin')).toBe(true);
    expect(ignores('docs', 'docs/deploy.md')).toBe(true);
    expect(ignores('edge/src', 'edge/package.json')).toBe(false);
    expect(ignores('**/node_modules', 'gpu-runner/node_modules/x')).toBe(true);
    const patterns = ['**/*.safetensors', '!gpu-runner/fixtures'];
    expect(excluded(patterns, 'a/model.safetensors')).toBe(true);
    expect(excluded(patterns, 'gpu-runner/fixtures/set/x/weights.safetensors')).toBe(false);
    expect(excluded(['!gpu-runner/fixtures', '**/*.safetensors'], 'gpu-runner/fixtures/x.safetensors')).toBe(true);
  });
});

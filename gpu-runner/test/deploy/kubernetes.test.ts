import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunnerConfig, RunnerConfigError } from '../../src/service/config.js';
import { parseEnvFile, REPO_ROOT, readRepoFile, readYamlDocs, unknownRunnerVars } from './deploy-files.js';
import { parseDockerfile } from './dockerfile.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
type Obj = Record<string, any>;

const K8S = 'infra/k8s';
const OVERLAYS = readdirSync(join(REPO_ROOT, K8S, 'overlays'));
const base = readYamlDocs(`${K8S}/base/kustomization.yaml`)[0] as Obj;
const baseObjects: Obj[] = (base.resources as string[]).flatMap((r) => readYamlDocs(`${K8S}/base/${r}`));
const find = (kind: string): Obj => {
  const found = baseObjects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const deployment = find('Deployment');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0];

/** The environment a runner pod of an overlay starts with (secrets replaced by well-formed placeholders). */
function podEnv(overlay: string): Record<string, string> {
  const env = { ...parseEnvFile(readRepoFile(`${K8S}/overlays/${overlay}/runner.env`), `${overlay}/runner.env`) };
  for (const e of container.env as Obj[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = `placeholder-secret-for-${e.name}`;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = 'kandinsky-runner-7c9d8f6b5-x2x9q';
    else throw new Error(`unexpected env source for ${e.name}`);
  }
  return env;
}

describe('Kubernetes manifests (static checks)', () => {
  it('parse, and every object has apiVersion, kind and name', () => {
    for (const o of baseObjects) {
      expect(o.apiVersion, JSON.stringify(o).slice(0, 80)).toBeTypeOf('string');
      expect(o.kind).toBeTypeOf('string');
      expect(o.metadata?.name).toMatch(/^[a-z0-9-]+$/);
    }
    expect(baseObjects.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'ScaledObject',
      'Service',
      'TriggerAuthentication',
    ]);
  });

  it('the Deployment references only variables the runner config schema knows', () => {
    expect(unknownRunnerVars((container.env as Obj[]).map((e) => e.name))).toEqual([]);
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'kandinsky-runner-config' } }]);
  });

  it('requests a GPU, runs as the image user, and probes /readyz (readiness) and /healthz (liveness, startup)', () => {
    expect(container.resources.requests['nvidia.com/gpu']).toBe('1');
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    const uid = /^(\d+):/.exec(
      parseDockerfile(readRepoFile('infra/runner/runner.Dockerfile'))
        .filter((i) => i.keyword === 'USER')
        .at(-1)!.args,
    )![1];
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    expect(String(podSpec.securityContext.runAsUser)).toBe(uid);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const port = container.ports.find((p: Obj) => p.name === 'http').containerPort;
    expect(String(port)).toBe(container.env.find((e: Obj) => e.name === 'PORT').value);
    // Roll out without losing capacity: surge one, never take one away first.
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('the autoscaler and PDB target the runner Deployment, and the scaler authenticates to the edge', () => {
    const scaled = find('ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(scaled.spec.triggers[0].metadata.authMode).toBe('bearer');
    expect(scaled.spec.triggers[0].authenticationRef.name).toBe(find('TriggerAuthentication').metadata.name);
    expect(find('PodDisruptionBudget').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(find('Service').spec.selector).toEqual(deployment.spec.selector.matchLabels);
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      const dir = `${K8S}/overlays/${overlay}`;
      const kustomization = readYamlDocs(`${dir}/kustomization.yaml`)[0] as Obj;

      it('names only files that exist, and patches only objects of the base', () => {
        expect(kustomization.resources).toEqual(['../../base']);
        for (const gen of kustomization.configMapGenerator as Obj[])
          for (const f of gen.envs) expect(existsSync(join(REPO_ROOT, dir, f))).toBe(true);
        for (const patch of kustomization.patches as Obj[]) {
          const [target] = readYamlDocs(`${dir}/${patch.path}`) as Obj[];
          expect(
            baseObjects.some((o) => o.kind === target.kind && o.metadata.name === target.metadata.name),
            patch.path,
          ).toBe(true);
        }
        expect(kustomization.configMapGenerator[0].name).toBe(container.envFrom[0].configMapRef.name);
        expect(kustomization.images[0].name).toBe(container.image);
        expect(kustomization.namespace).toMatch(/^[a-z0-9-]+$/);
      });

      it('runner.env holds only runner variables, no secrets, and the whole pod environment passes the runner schema', () => {
        const env = parseEnvFile(readRepoFile(`${dir}/runner.env`));
        expect(unknownRunnerVars(Object.keys(env))).toEqual([]);
        for (const secret of ['RUNNER_SECRET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'])
          expect(env).not.toHaveProperty(secret);
        const config = loadRunnerConfig(podEnv(overlay));
        expect(config.KANDINSKY_WEIGHTS).toMatch(/^s3:\/\//);
      });

      it('gives a draining runner more time than SHUTDOWN_GRACE_MS before SIGKILL', () => {
        const config = loadRunnerConfig(podEnv(overlay));
        // 10 s margin: releasing the lease and closing connections after the grace period.
        expect(podSpec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(config.SHUTDOWN_GRACE_MS + 10_000);
      });

      it('scales on the queue depth of the same edge the runners lease from', () => {
        const patch = readYamlDocs(`${dir}/scaled-object-patch.yaml`)[0] as Obj;
        const edge = loadRunnerConfig(podEnv(overlay)).EDGE_URL;
        expect(patch.spec.triggers[0].metadata.url).toBe(`${edge}/v1/admin/queue`);
        expect(patch.spec.minReplicaCount).toBeLessThanOrEqual(patch.spec.maxReplicaCount);
      });
    });
  }

  it('a bad deployment config is rejected by the runner schema with every problem named', () => {
    const env = podEnv('production');
    env.EDGE_URL = 'api.kandinsky.example.com'; // scheme forgotten
    env.RUNNER_MAX_BATCH = '0';
    env.RUNNER_TASKS = 'text2image,upscale';
    delete env.S3_BUCKET;
    let error: unknown;
    try {
      loadRunnerConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RunnerConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/EDGE_URL must be an http\(s\) URL/);
    expect(message).toMatch(/S3_BUCKET is required/);
    expect(message).toMatch(/RUNNER_MAX_BATCH/);
    expect(message).toMatch(
      /RUNNER_TASKS must list some of text2image, variation, fuse, img2img, inpaint; got "text2image,upscale"/,
    );
  });

  it('the variable-name check catches a name the runner does not know', () => {
    expect(unknownRunnerVars(['EDGE_URL', 'RUNNER_CONCURRENCY', 'NODE_ENV', 'S3_BUCKETS'])).toEqual([
      'RUNNER_CONCURRENCY',
      'S3_BUCKETS',
    ]);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { LocalHubServer } from '../../test/helpers/local-hub-server.js';
import { type LocalS3, startLocalS3 } from '../../test/helpers/local-s3.js';
import { convertComponent } from '../convert/convert-component.js';
import { verifyModelFolder } from '../service/model-folder-check.js';
import { MODEL_STORE_MANIFEST as RUNNER_MANIFEST_NAME, resolveModelFolder } from '../service/model-source.js';
import { MODEL_STORE_MANIFEST, uploadModelFolder } from './model-store-upload.js';
import { pullWeights } from './pull.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
let hub: LocalHubServer;
let hubUrl: string;
let s3server: LocalS3;
let s3: S3Client;
let work: string;

beforeAll(async () => {
  await useTestBackend();
  work = await mkdtemp(join(tmpdir(), 'weights-to-runner-'));
  hub = new LocalHubServer(join(FIXTURES, 'hub', 'repos'));
  hubUrl = await hub.start();
  s3server = await startLocalS3(work, 'models');
  s3 = s3server.s3;
});
afterAll(async () => {
  await s3server?.close();
  await hub?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('hub -> pull -> model store -> runner boot', () => {
  it('the runner mirrors what `weights pull` + `weights upload` produce and accepts it as a verified model folder', async () => {
    expect(RUNNER_MANIFEST_NAME).toBe(MODEL_STORE_MANIFEST); // one contract, two sides

    const converted = join(work, 'converted');
    await pullWeights({
      repos: ['kandinsky-community/kandinsky-2-1'],
      hubUrl,
      cacheDir: join(work, 'cache'),
      outDir: converted,
    });
    await uploadModelFolder(converted, { s3, bucket: 'models', prefix: 'kandinsky-2-1/fp32' });

    const mirrored = await resolveModelFolder('s3://models/kandinsky-2-1/fp32', {
      cacheDir: join(work, 'runner-cache'),
      s3,
    });
    const summary = await verifyModelFolder(mirrored, ['movq']);
    // The weights the runner would load are byte-identical to converting the diffusers safetensors directly.
    const reference = await convertComponent(join(FIXTURES, 'hub', 'reference-movq'), join(work, 'reference-movq'));
    expect(summary.components.movq.files).toEqual(reference.files);
    expect(summary.bytes).toBeGreaterThan(0);
  });
});

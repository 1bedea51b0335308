import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import { maxAbsDiff, TINY, tinyCheckpoint, tinyFixture } from '../../../test/helpers/tensors.js';
import { convertComponent } from '../../convert/convert-component.js';
import type { HostTensor } from '../../io/safetensors.js';
import { createScheduler } from '../../schedulers/create-scheduler.js';
import { type LoadedComponent, loadComponent } from '../load-component.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

/** Reference module name -> the layer whose output is that module's output. */
const ACTIVATIONS: Record<string, string> = {
  'act.time_embedding': 'time_embedding.linear_2',
  'act.embedding_proj': 'embedding_proj',
  'act.encoder_hidden_states_proj': 'encoder_hidden_states_proj',
  'act.proj_in': 'proj_in',
  'act.transformer_blocks.0': 'transformer_blocks.0',
  'act.transformer_blocks.1': 'transformer_blocks.1',
  'act.norm_out': 'norm_out',
};

describe('PriorTransformer parity with diffusers (tiny fixture, convert -> save -> load)', () => {
  let dir: string;
  let prior: LoadedComponent;
  let inputs: Map<string, HostTensor>;
  let outputs: Map<string, HostTensor>;

  beforeAll(async () => {
    await useTestBackend();
    dir = await mkdtemp(join(tmpdir(), 'prior-'));
    await convertComponent(await tinyCheckpoint('prior'), dir, { shardBytes: 1 << 16 });
    prior = await loadComponent(dir);
    inputs = await tinyFixture('prior', 'inputs.safetensors');
    outputs = await tinyFixture('prior', 'outputs.safetensors');
  });
  afterAll(async () => {
    prior?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  /** The reference call's inputs in graph order; the scalar timestep is repeated per sample, as diffusers does. */
  function graphInputs(): tf.Tensor[] {
    const t = (name: string) => tf.tensor(Array.from(inputs.get(name)!.data), inputs.get(name)!.shape, 'float32');
    const hidden = t('hidden_states');
    const batch = hidden.shape[0];
    const timestep = tf.fill([batch], inputs.get('timestep')!.data[0]);
    return [hidden, timestep, t('proj_embedding'), t('encoder_hidden_states'), t('attention_mask')];
  }

  it('uses a padded text mask (so the masking path is exercised)', () => {
    const mask = Array.from(inputs.get('attention_mask')!.data);
    expect(mask).toContain(0);
    expect(mask).toContain(1);
  });

  it('predicts the reference image embedding, with every saved activation within 1e-4', () => {
    const main = prior.graphs.main;
    const names = Object.keys(ACTIVATIONS);
    const probe = tf.model({
      inputs: main.inputs,
      outputs: [...names.map((n) => main.getLayer(ACTIVATIONS[n]).output as tf.SymbolicTensor), main.outputs[0]],
    });
    const x = graphInputs();
    const outs = probe.predict(x) as tf.Tensor[];
    const errors: Record<string, number> = Object.fromEntries(
      names.map((n, i) => [n, maxAbsDiff(outs[i], outputs.get(n)!)]),
    );
    errors.predicted_image_embedding = maxAbsDiff(outs[names.length], outputs.get('predicted_image_embedding')!);
    tf.dispose([...x, ...outs]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('post-processes latents with clip_std and clip_mean like post_process_latents', () => {
    // The reference applied post_process_latents to its own predicted_image_embedding.
    const ref = outputs.get('predicted_image_embedding')!;
    const x = tf.tensor(ref.data, ref.shape, 'float32');
    const y = prior.graphs.post_process_latents.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y, outputs.get('post_process_latents')!)).toBeLessThan(TOL);
    tf.dispose([x, y]);
  });

  it('leaves no tensors behind across repeated steps', () => {
    const x = graphInputs();
    const run = () => tf.dispose(prior.graphs.main.predict(x) as tf.Tensor);
    run();
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose(x);
  });

  it('reproduces every prior call of the reference interpolate pipeline trace within 1e-4', async () => {
    // Real pipeline inputs (batch 2 with guidance), straight from the trace, at the timesteps its settings give.
    const meta = JSON.parse(readFileSync(join(TINY, 'e2e_prior_interpolate', 'trace.json'), 'utf8'));
    const calls = await tinyFixture('e2e_prior_interpolate', 'trace.safetensors');
    const t = (name: string) => tf.tensor(calls.get(name)!.data, calls.get(name)!.shape, 'float32');
    const names = (meta.calls as { call: string }[]).map((c) => c.call).filter((c) => c.startsWith('prior.prior.'));
    const timesteps: number[] = [];
    for (const p of names) {
      const hidden = t(`${p}.arg0`);
      const timestep = tf.fill([hidden.shape[0], 1], calls.get(`${p}.timestep`)!.data[0]);
      timesteps.push(calls.get(`${p}.timestep`)!.data[0]);
      const x = [hidden, timestep, t(`${p}.proj_embedding`), t(`${p}.encoder_hidden_states`), t(`${p}.attention_mask`)];
      const out = prior.graphs.main.predict(x) as tf.Tensor;
      expect(maxAbsDiff(out, calls.get(`${p}.out.predicted_image_embedding`)!), p).toBeLessThan(TOL);
      tf.dispose([...x, out]);
    }
    // One prior run per text item and one for the negative prompt, each over the UnCLIP schedule of the trace's steps.
    const runs = meta.images_and_prompts.filter((e: string) => !e.startsWith('<PIL')).length + 1;
    const schedule = createScheduler('unclip');
    schedule.setTimesteps(meta.num_inference_steps);
    expect(names.length).toBe(runs * meta.num_inference_steps);
    expect(timesteps).toEqual(Array.from({ length: runs }, () => schedule.timesteps).flat());
  });

  it('rejects a text sequence of the wrong length', () => {
    const x = graphInputs();
    const short = tf.slice(x[3], [0, 0, 0], [-1, 5, -1]);
    expect(() => prior.graphs.main.predict([x[0], x[1], x[2], short, x[4]])).toThrow();
    tf.dispose([...x, short]);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import { maxAbsDiff, nchwToNhwc, tinyCheckpoint, tinyFixture } from '../../../test/helpers/tensors.js';
import { convertComponent } from '../../convert/convert-component.js';
import type { HostTensor } from '../../io/safetensors.js';
import { type LoadedComponent, loadComponent } from '../load-component.js';
import { runUNet, type UNetInputs } from './unet-step.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

/** Reference module (forward-hook name) -> the layer whose output is that module's output (tiny config: 2 layers/block). */
const ACTIVATIONS: Record<string, string> = {
  'act.time_proj': 'time_proj',
  'act.time_embedding': 'time_embedding',
  'act.add_embedding': 'add_embedding',
  'act.encoder_hid_proj': 'encoder_hid_proj',
  'act.conv_in': 'conv_in',
  'act.down_blocks.0.resnets.0': 'down_blocks.0.resnets.0',
  'act.down_blocks.0.downsamplers.0': 'down_blocks.0.downsamplers.0',
  // A down block's hook sees (hidden_states, skips); the fixture keeps hidden_states, the downsampler's output.
  'act.down_blocks.0': 'down_blocks.0.downsamplers.0',
  'act.down_blocks.1.attentions.0': 'down_blocks.1.attentions.0',
  'act.down_blocks.1': 'down_blocks.1.downsamplers.0',
  'act.down_blocks.2': 'down_blocks.2.downsamplers.0',
  'act.down_blocks.3': 'down_blocks.3.attentions.1',
  'act.mid_block': 'mid_block.resnets.1',
  'act.up_blocks.0': 'up_blocks.0.upsamplers.0',
  'act.up_blocks.1': 'up_blocks.1.upsamplers.0',
  'act.up_blocks.2': 'up_blocks.2.upsamplers.0',
  'act.up_blocks.3.resnets.0': 'up_blocks.3.resnets.0',
  'act.up_blocks.3': 'up_blocks.3.resnets.2',
  'act.conv_norm_out': 'conv_norm_out',
  'act.conv_out': 'conv_out',
};

/** The fixture's inputs as graph inputs; the reference's 0-d timestep is broadcast to one per row, as diffusers does. */
function graphInputs(inputs: Map<string, HostTensor>): UNetInputs {
  const sample = nchwToNhwc(inputs.get('sample')!);
  const b = sample.shape[0];
  const t = inputs.get('timestep')!.data[0];
  const host = (name: string) => tf.tensor(inputs.get(name)!.data, inputs.get(name)!.shape, 'float32');
  return {
    sample,
    timestep: tf.fill([b], t, 'float32') as tf.Tensor1D,
    textHidden: host('encoder_hidden_states') as tf.Tensor3D,
    textEmbeds: host('text_embeds') as tf.Tensor2D,
    imageEmbeds: host('image_embeds') as tf.Tensor2D,
  };
}

const asList = (i: UNetInputs) => [i.sample, i.timestep, i.textHidden, i.textEmbeds, i.imageEmbeds];
const column = (t: tf.Tensor1D) => tf.reshape(t, [-1, 1]);

for (const name of ['unet', 'unet_inpaint']) {
  describe(`${name} parity with diffusers UNet2DConditionModel (tiny fixture, convert -> save -> load)`, () => {
    let dir: string;
    let unet: LoadedComponent;
    let inputs: Map<string, HostTensor>;
    let outputs: Map<string, HostTensor>;

    beforeAll(async () => {
      await useTestBackend();
      dir = await mkdtemp(join(tmpdir(), `${name}-`));
      await convertComponent(await tinyCheckpoint(name), dir, { shardBytes: 1 << 20 });
      unet = await loadComponent(dir);
      inputs = await tinyFixture(name, 'inputs.safetensors');
      outputs = await tinyFixture(name, 'outputs.safetensors');
    });
    afterAll(async () => {
      unet?.dispose();
      await rm(dir, { recursive: true, force: true });
    });

    it('predicts the reference 8-channel output (batch 2), with every saved activation within 1e-4', () => {
      const model = unet.graphs.main;
      const x = graphInputs(inputs);
      const names = Object.keys(ACTIVATIONS);
      // One probe output per layer (a model may not list an output twice); several reference names can share one.
      const layers = [...new Set(Object.values(ACTIVATIONS))];
      const probe = tf.model({
        inputs: model.inputs,
        outputs: layers.map((l) => model.getLayer(l).output as tf.SymbolicTensor),
      });
      const errors: Record<string, number> = tf.tidy(() => {
        const outs = probe.predict([
          x.sample,
          column(x.timestep),
          x.textHidden,
          x.textEmbeds,
          x.imageEmbeds,
        ]) as tf.Tensor[];
        return Object.fromEntries(
          names.map((n) => {
            const got = outs[layers.indexOf(ACTIVATIONS[n])];
            return [n, maxAbsDiff(got, outputs.get(n)!, { nchw: got.rank === 4 })];
          }),
        );
      });
      const out = runUNet(model, x);
      expect(out.shape).toEqual([2, 16, 16, 8]);
      errors.sample = maxAbsDiff(out, outputs.get('sample')!, { nchw: true });
      tf.dispose([out, ...asList(x)]);
      expect(Object.keys(errors)).toHaveLength(names.length + 1);
      for (const [n, err] of Object.entries(errors)) expect(err, n).toBeLessThan(TOL);
    });

    it('runs a non-square latent, each batch row independent of the other', () => {
      const model = unet.graphs.main;
      const base = graphInputs(inputs);
      const [b, , , c] = base.sample.shape;
      const sample = tf.randomNormal([b, 8, 24, c], 0, 1, 'float32', 7) as tf.Tensor4D;
      const x = { ...base, sample };
      const both = runUNet(model, x);
      expect(both.shape).toEqual([b, 8, 24, 8]);
      const rowOf = (t: tf.Tensor, i: number) => tf.slice(t, i, 1);
      const alone = runUNet(model, {
        sample: rowOf(sample, 1) as tf.Tensor4D,
        timestep: rowOf(x.timestep, 1) as tf.Tensor1D,
        textHidden: rowOf(x.textHidden, 1) as tf.Tensor3D,
        textEmbeds: rowOf(x.textEmbeds, 1) as tf.Tensor2D,
        imageEmbeds: rowOf(x.imageEmbeds, 1) as tf.Tensor2D,
      });
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(rowOf(both, 1), alone))).dataSync()[0]);
      const finite = tf.tidy(() => tf.all(tf.isFinite(both)).dataSync()[0]);
      tf.dispose([both, alone, ...asList(x), base.sample]);
      expect(finite).toBe(1);
      expect(diff).toBeLessThan(1e-5);
    });

    it('refuses a latent the down/up path cannot round-trip', () => {
      const x = graphInputs(inputs);
      const odd = tf.zeros([2, 12, 16, x.sample.shape[3]]) as tf.Tensor4D;
      expect(() => runUNet(unet.graphs.main, { ...x, sample: odd })).toThrow(/multiple of 8/);
      tf.dispose([odd, ...asList(x)]);
    });

    it('leaks no tensors across repeated calls', () => {
      const x = graphInputs(inputs);
      const first = runUNet(unet.graphs.main, x);
      first.dispose();
      const baseline = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) runUNet(unet.graphs.main, x).dispose();
      expect(tf.memory().numTensors).toBe(baseline);
      tf.dispose(asList(x));
    });
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers/backend.js';
import { maxAbsDiff, nchwToNhwc, tinyCheckpoint, tinyFixture } from '../../../test/helpers/tensors.js';
import { convertComponent } from '../../convert/convert-component.js';
import type { HostTensor } from '../../io/safetensors.js';
import type { VectorQuantizer } from '../../layers/vector-quantizer.js';
import { type LoadedComponent, loadComponent } from '../load-component.js';

/** fp32 parity tolerance against the PyTorch reference (max abs error). */
const TOL = 1e-4;

/** Reference module name -> the layer whose output is that module's output. */
const ENCODER_ACTIVATIONS: Record<string, string> = {
  'act.encoder.conv_in': 'encoder.conv_in',
  'act.encoder.down_blocks.0': 'encoder.down_blocks.0.downsamplers.0.conv',
  'act.encoder.down_blocks.3': 'encoder.down_blocks.3.attentions.0',
  'act.encoder.mid_block': 'encoder.mid_block.resnets.1',
  'act.encoder': 'encoder.conv_out',
  'act.quant_conv': 'quant_conv',
};
const DECODER_ACTIVATIONS: Record<string, string> = {
  'act_decode.post_quant_conv': 'post_quant_conv',
  'act_decode.decoder.conv_in': 'decoder.conv_in',
  'act_decode.decoder.mid_block': 'decoder.mid_block.resnets.1',
  'act_decode.decoder.up_blocks.0': 'decoder.up_blocks.0.upsamplers.0.conv',
  'act_decode.decoder.up_blocks.3': 'decoder.up_blocks.3.resnets.1',
  'act_decode.decoder.conv_norm_out': 'decoder.conv_norm_out',
  'act_decode.decoder': 'decoder.conv_out',
};

describe('MoVQ parity with diffusers VQModel (tiny fixture, convert -> save -> load)', () => {
  let dir: string;
  let movq: LoadedComponent;
  let inputs: Map<string, HostTensor>;
  let outputs: Map<string, HostTensor>;

  beforeAll(async () => {
    await useTestBackend();
    dir = await mkdtemp(join(tmpdir(), 'movq-'));
    await convertComponent(await tinyCheckpoint('movq'), dir, { shardBytes: 1 << 20 });
    movq = await loadComponent(dir);
    inputs = await tinyFixture('movq', 'inputs.safetensors');
    outputs = await tinyFixture('movq', 'outputs.safetensors');
  });
  afterAll(async () => {
    movq?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  function probe(model: tf.LayersModel, layers: Record<string, string>, input: tf.Tensor): Record<string, number> {
    const names = Object.keys(layers);
    const inspect = tf.model({
      inputs: model.inputs,
      outputs: names.map((n) => model.getLayer(layers[n]).output as tf.SymbolicTensor),
    });
    return tf.tidy(() => {
      const outs = inspect.predict(input) as tf.Tensor[];
      return Object.fromEntries(names.map((n, i) => [n, maxAbsDiff(outs[i], outputs.get(n)!, { nchw: true })]));
    });
  }

  it('encodes an image to the reference latents, with every saved activation within 1e-4', () => {
    const image = nchwToNhwc(inputs.get('image')!);
    const errors = probe(movq.graphs.encoder, ENCODER_ACTIVATIONS, image);
    const latents = movq.graphs.encoder.predict(image) as tf.Tensor;
    errors['encode.latents'] = maxAbsDiff(latents, outputs.get('encode.latents')!, { nchw: true });
    tf.dispose([image, latents]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('decodes latents (force_not_quantize) to the reference image, with every saved activation within 1e-4', () => {
    const z = nchwToNhwc(inputs.get('decode_input_latents')!);
    const errors = probe(movq.graphs.decoder, DECODER_ACTIVATIONS, z);
    const image = movq.graphs.decoder.predict(z) as tf.Tensor;
    errors['decode_force_not_quantize.sample'] = maxAbsDiff(image, outputs.get('decode_force_not_quantize.sample')!, {
      nchw: true,
    });
    tf.dispose([z, image]);
    for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
  });

  it('quantizes to the reference codebook indices and decodes the quantized latents', () => {
    const image = nchwToNhwc(inputs.get('image')!);
    const latents = movq.graphs.encoder.predict(image) as tf.Tensor4D;
    const quantizer = movq.graphs.quantizer.getLayer('quantize') as VectorQuantizer;
    const indices = quantizer.indices(latents);
    expect(Array.from(indices.dataSync())).toEqual(Array.from(outputs.get('quantize.indices')!.data));
    const quant = movq.graphs.quantizer.predict(latents) as tf.Tensor;
    expect(maxAbsDiff(quant, outputs.get('quantize.quant')!, { nchw: true })).toBeLessThan(TOL);
    const decoded = movq.graphs.decoder.predict(quant) as tf.Tensor;
    expect(maxAbsDiff(decoded, outputs.get('decode_quantized.sample')!, { nchw: true })).toBeLessThan(TOL);
    tf.dispose([image, latents, indices, quant, decoded]);
  });
});

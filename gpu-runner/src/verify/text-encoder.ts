import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../io/safetensors.js';
import { decoderTextEncoderFrom } from '../pipelines/model-adapters.js';
import { loadXlmRobertaTokenizer } from '../tokenizers/index.js';
import type { CheckContext, ComponentCheck } from './component-check.js';
import { toTensor } from './component-check.js';
import { promptTokenChecks } from './prompt-tokens.js';

/**
 * The decoder's text encoder (M-CLIP: XLM-R large, masked mean, Linear) through the pipelines' adapter, on the
 * fixture's ids and mask: the pooled `prompt_embeds` and the hidden states the U-Net attends to. When the fixture's
 * metadata lists the prompts its ids were made from (the tiny set), the XLM-R tokenizer must reproduce them exactly.
 */
export const textEncoderCheck: ComponentCheck = {
  name: 'text_encoder',
  async run(component, inputs) {
    const ids = toTensor(inputs.get('input_ids'), 'input_ids', { int: true }) as tf.Tensor2D;
    const mask = toTensor(inputs.get('attention_mask'), 'attention_mask', { int: true }) as tf.Tensor2D;
    try {
      const { pooled, hidden } = decoderTextEncoderFrom(component).encode(ids, mask);
      return [
        { name: 'prompt_embeds', ours: pooled },
        { name: 'last_hidden_state', ours: hidden },
      ];
    } finally {
      tf.dispose([ids, mask]);
    }
  },
  extra: (inputs: Map<string, HostTensor>, ctx: CheckContext) =>
    promptTokenChecks(inputs, ctx, (dir, maxLength) => loadXlmRobertaTokenizer(join(dir, 'xlmr_tiny'), { maxLength }), {
      mask: true,
    }),
};

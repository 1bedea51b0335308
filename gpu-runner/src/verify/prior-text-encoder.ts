import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../io/safetensors.js';
import { priorTextEncoderFrom } from '../pipelines/model-adapters.js';
import { loadClipTokenizer } from '../tokenizers/index.js';
import type { CheckContext, ComponentCheck } from './component-check.js';
import { toTensor } from './component-check.js';
import { promptTokenChecks } from './prompt-tokens.js';

/**
 * The prior's text encoder (CLIP ViT-L/14 text tower with projection) through the pipelines' adapter, on the
 * fixture's ids WITHOUT a padding mask, as the prior pipeline calls it: `text_embeds` (pooled at the first EOS) and
 * the hidden states. When the metadata lists the prompts (the tiny set), the CLIP tokenizer must give the same ids.
 */
export const priorTextEncoderCheck: ComponentCheck = {
  name: 'prior_text_encoder',
  async run(component, inputs) {
    const ids = toTensor(inputs.get('input_ids'), 'input_ids', { int: true }) as tf.Tensor2D;
    try {
      const { textEmbeds, lastHiddenState } = priorTextEncoderFrom(component).encode(ids);
      return [
        { name: 'text_embeds', ours: textEmbeds },
        { name: 'last_hidden_state', ours: lastHiddenState },
      ];
    } finally {
      ids.dispose();
    }
  },
  extra: (inputs: Map<string, HostTensor>, ctx: CheckContext) =>
    promptTokenChecks(inputs, ctx, (dir, maxLength) => loadClipTokenizer(join(dir, 'clip_tiny'), { maxLength }), {
      mask: inputs.has('attention_mask'),
    }),
};

import { describe, expect, it } from 'vitest';
import { fullSizeConfig } from '../../../test/helpers/full-keys.js';
import { componentFor } from '../registry.js';
import { parseClipTextConfig } from './clip-text-config.js';
import { parseClipVisionConfig } from './clip-vision-config.js';
import { parseMClipConfig } from './mclip-config.js';

describe('encoder config parsing', () => {
  it('routes each reference config to its component by model_type', () => {
    expect(componentFor(fullSizeConfig('text_encoder')).kind).toBe('text_encoder');
    expect(componentFor(fullSizeConfig('prior_text_encoder')).kind).toBe('prior_text_encoder');
    expect(componentFor(fullSizeConfig('image_encoder')).kind).toBe('image_encoder');
  });

  it('reads the full-size values (layer_norm_eps from the file, not the XLM-R class default 1e-12)', () => {
    const m = parseMClipConfig(fullSizeConfig('text_encoder'));
    expect(m).toMatchObject({
      hidden_size: 1024,
      num_hidden_layers: 24,
      layer_norm_eps: 1e-5,
      numDims: 768,
      pad_token_id: 1,
    });
    expect(parseMClipConfig({ model_type: 'M-CLIP', hidden_size: 1024, num_attention_heads: 16 }).layer_norm_eps).toBe(
      1e-12,
    );
    const t = parseClipTextConfig(fullSizeConfig('prior_text_encoder'));
    expect(t).toMatchObject({ hidden_size: 768, eos_token_id: 49407, eosRule: 'first-eos', hidden_act: 'quick_gelu' });
    const v = parseClipVisionConfig(fullSizeConfig('image_encoder'));
    expect(v).toMatchObject({ hidden_size: 1024, image_size: 224, patch_size: 14, projection_dim: 768 });
  });

  it('refuses architectures the port does not implement, naming the value', () => {
    const mclip = fullSizeConfig('text_encoder');
    expect(() => parseMClipConfig({ ...mclip, position_embedding_type: 'relative_key' })).toThrow(
      /position_embedding_type "relative_key"/,
    );
    expect(() => parseMClipConfig({ ...mclip, hidden_act: 'gelu_new' })).toThrow(/unsupported hidden_act "gelu_new"/);
    expect(() => parseMClipConfig({ ...mclip, is_decoder: true })).toThrow(/decoder/);
    expect(() => parseMClipConfig({ ...mclip, transformerDimensions: 768 })).toThrow(/transformerDimensions 768/);
    expect(() => parseMClipConfig({ ...mclip, num_attention_heads: 15 })).toThrow(/not divisible by 15/);
    expect(() => parseMClipConfig({ ...mclip, model_type: 'xlm-roberta' })).toThrow(/model_type must be "M-CLIP"/);
    const text = fullSizeConfig('prior_text_encoder');
    expect(() => parseClipTextConfig({ ...text, hidden_act: 'relu' })).toThrow(/unsupported hidden_act "relu"/);
    expect(() => parseClipTextConfig({ ...text, num_hidden_layers: 0 })).toThrow(/num_hidden_layers/);
    const vision = fullSizeConfig('image_encoder');
    expect(() => parseClipVisionConfig({ ...vision, patch_size: 15 })).toThrow(/not a multiple of patch_size 15/);
    expect(() => parseClipVisionConfig({ ...vision, layer_norm_eps: 0 })).toThrow(/layer_norm_eps/);
  });
});

/**
 * Imports every custom layer so `tf.serialization.registerClass` has run before a `model.json` is deserialized.
 * Add each new layer file here.
 */
import '../layers/attention-block.js';
import '../layers/conv2d-layer.js';
import '../layers/norm-layers.js';
import '../layers/resnet-block.js';
import '../layers/vector-quantizer.js';
import '../layers/layer-norm-layer.js';
import '../layers/linear-layer.js';
import './prior/clip-denormalize-layer.js';
import './prior/last-token-layer.js';
import './prior/prior-attention-mask-layer.js';
import './prior/prior-tokens-layer.js';
import './prior/prior-transformer-block.js';
import '../layers/text-image-layers.js';
import '../layers/timestep-embedding-layer.js';
import '../layers/transformer-encoder-layer.js';
import './encoders/clip-text-embeddings.js';
import './encoders/clip-vision-embeddings.js';
import './encoders/sequence-layers.js';
import './encoders/xlm-roberta-embeddings.js';

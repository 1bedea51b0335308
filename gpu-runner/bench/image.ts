/**
 * Image preprocessing costs (pure JS, backend-independent): PIL-exact bicubic resize with reducing_gap=1 of a
 * 1024x1024 and a 2048x1536 upload to 512x512 (img2img/inpaint), the CLIP preprocessing of a 1024x768 image, and
 * PNG (with its parameters) and WebP encoding of a 512x512 result.
 */
import { clipPreprocess } from '../src/image/clip-image-processor.js';
import { encodeImage } from '../src/image/encode-image.js';
import { prepareInitImage } from '../src/image/init-image.js';
import { testPattern } from '../test/helpers/test-pattern.js';
import { report, timeOnce } from './util.js';

const cases: { name: string; run: () => unknown | Promise<unknown> }[] = [
  { name: 'init_image_1024x1024_to_512', run: () => prepareInitImage(testPattern(1024, 1024), 512, 512) },
  { name: 'init_image_2048x1536_to_512', run: () => prepareInitImage(testPattern(2048, 1536), 512, 512) },
  { name: 'clip_preprocess_1024x768', run: () => clipPreprocess(testPattern(1024, 768)) },
  { name: 'png_encode_512', run: () => encodeImage(testPattern(512, 512), 'png', { parameters: { prompt: 'a cat' } }) },
  { name: 'webp_encode_512_q90', run: () => encodeImage(testPattern(512, 512), 'webp', { quality: 90 }) },
];
for (const c of cases) {
  await c.run(); // warm-up (JIT, wasm compile)
  const seconds = await timeOnce(async () => void (await c.run()));
  report({
    name: `image_${c.name}`,
    seconds: Number(seconds.toFixed(4)),
    note: 'includes generating the input pattern',
  });
}

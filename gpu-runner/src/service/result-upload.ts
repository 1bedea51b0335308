import { imageSeed, type RunnerJob } from '@kandinsky/protocol';
import type { GeneratedImage } from '../pipelines/generated-images.js';
import { generationMetadata } from './generation-metadata.js';
import type { ResultImage } from './protocol.js';
import type { StoreApi } from './store-api.js';

const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const EXTENSIONS = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;

/**
 * Stores image `index` of a job at `<prefix><index>.<ext>` (a retried job overwrites instead of adding objects),
 * after checking it is what the job asked for: its size, format and seed. A mismatch is the generator's bug and
 * fails the job rather than storing a wrong result.
 */
export async function uploadResultImage(
  store: StoreApi,
  job: RunnerJob,
  index: number,
  image: GeneratedImage,
  runnerId: string,
): Promise<ResultImage> {
  const p = job.params;
  if (image.width !== p.width || image.height !== p.height) {
    throw new Error(`image ${index} is ${image.width}x${image.height}, expected ${p.width}x${p.height}`);
  }
  const contentType = CONTENT_TYPES[p.output_format];
  if (image.contentType !== contentType) {
    throw new Error(`the generator produced ${image.contentType} for output_format ${p.output_format}`);
  }
  if (image.seed !== imageSeed(p.seed, index)) {
    throw new Error(`image ${index} reports seed ${image.seed}, the contract says ${imageSeed(p.seed, index)}`);
  }
  const key = `${job.output.prefix}${index}.${EXTENSIONS[contentType]}`;
  await store.put(key, image.bytes, contentType, generationMetadata(job, index, runnerId));
  return {
    key,
    width: image.width,
    height: image.height,
    content_type: contentType,
    seed: image.seed,
    bytes: image.bytes.byteLength,
  };
}

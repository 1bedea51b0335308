import { ImageBytesError, inspectImageBytes } from '@kandinsky/protocol/image-bytes';

/** Limits that accept any size, so the property tests reach the structural checks only. */
const NO_LIMITS = {
  maxBytes: Number.POSITIVE_INFINITY,
  minSide: 1,
  maxSide: Number.POSITIVE_INFINITY,
  maxPixels: 2 ** 40,
};

/**
 * The shared byte check's verdict on an image: 'accepted' or its `ImageBytesError` code; anything else it throws
 * fails the test. The decoder property tests compare it with what the runner's decoder does on the same bytes.
 */
export async function checkVerdict(bytes: Uint8Array): Promise<string> {
  try {
    await inspectImageBytes(bytes, NO_LIMITS);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof ImageBytesError)) throw err;
    return err.code;
  }
}

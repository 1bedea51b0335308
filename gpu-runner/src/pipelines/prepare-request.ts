import { mapRequestImages, maskAlphaProblem, maskSizeProblem } from '@kandinsky/protocol';
import { decodeAlphaMask } from '../image/alpha-mask.js';
import { decodeImage, ImageInputError, type Raster } from '../image/index.js';
import { batchKey } from './batch-shape.js';
import type { GenerationRequest } from './generation-request.js';
import { PipelineParamError } from './pipeline-errors.js';
import type { PreparedRequest } from './tasks/task-plan.js';

/** A prepared request and the key of the requests it can share one pass with (null: it runs alone). */
export interface PreparedGeneration {
  request: PreparedRequest;
  batchKey: string | null;
}

/**
 * Makes a resolved request ready to run, before any compute: checks that inpainting is available when asked for,
 * decodes the input images (an unreadable one is a {@link PipelineParamError} with code `invalid_image` naming the
 * field) and checks the mask against the image. Everything here is the request's own fault, so it is found before
 * the request joins a batch whose other requests it would otherwise fail.
 */
export async function prepareRequest(request: GenerationRequest, canInpaint: boolean): Promise<PreparedGeneration> {
  if (request.task === 'inpaint' && !canInpaint) {
    throw new PipelineParamError('task', 'inpainting needs the unet_inpaint component, which this model folder lacks', {
      code: 'unsupported_task',
    });
  }
  const alphaMask = request.task === 'inpaint' && request.params.mask_source === 'alpha';
  if (alphaMask) {
    const problem = maskAlphaProblem(request.params.mask);
    if (problem) throw new PipelineParamError('mask', problem, { code: 'invalid_request' });
  }
  const prepared = await mapRequestImages(request, (bytes, param) =>
    decodeParam(bytes, param, alphaMask && param === 'mask' ? decodeAlphaMask : decodeImage),
  );
  if (prepared.task === 'inpaint') {
    const problem = maskSizeProblem(prepared.params.image, prepared.params.mask);
    if (problem) throw new PipelineParamError('mask', problem, { code: 'invalid_request' });
  }
  return { request: prepared, batchKey: batchKey(prepared) };
}

/** Decodes one input image; an unreadable file is the request's fault, named by its field. */
async function decodeParam(
  bytes: Uint8Array,
  param: string,
  decode: (bytes: Uint8Array) => Promise<Raster>,
): Promise<Raster> {
  try {
    return await decode(bytes);
  } catch (err) {
    if (!(err instanceof ImageInputError)) throw err;
    throw new PipelineParamError(param, `is not a readable image: ${err.message}`, { code: 'invalid_image' });
  }
}

import type { ComponentCheck } from './component-check.js';
import { unetCheckFor } from './unet.js';

/** The inpainting U-Net (9 input channels: latents, masked image latents, keep-mask), checked as the U-Net is. */
export const unetInpaintCheck: ComponentCheck = unetCheckFor('unet_inpaint');

/**
 * The component folders of a converted model folder (see `convertModelFolder`), in the order they are loaded. The
 * loader, the runner's start-up check, `kandinsky verify` and the test model folders all read this one list, so a
 * component added here is converted, checked and loaded everywhere.
 */
export const COMPONENT_FOLDERS = [
  'prior_text_encoder',
  'prior',
  'image_encoder',
  'text_encoder',
  'unet',
  'unet_inpaint',
  'movq',
] as const;

/** One component folder's name. */
export type ComponentFolder = (typeof COMPONENT_FOLDERS)[number];

/** `unet_inpaint` is optional: a folder without it serves every task but inpainting. */
export const OPTIONAL_COMPONENTS: readonly ComponentFolder[] = ['unet_inpaint'];

/** The components a model folder must hold. */
export const REQUIRED_COMPONENTS: readonly ComponentFolder[] = COMPONENT_FOLDERS.filter(
  (name) => !OPTIONAL_COMPONENTS.includes(name),
);

import type { ComponentDefinition, ModelConfig } from './component.js';
import { clipImageEncoderDefinition } from './encoders/clip-image-encoder.js';
import { clipTextEncoderDefinition } from './encoders/clip-text-encoder.js';
import { mclipTextEncoderDefinition } from './encoders/mclip-text-encoder.js';
import { movqDefinition } from './movq/movq.js';
import { priorDefinition } from './prior/prior.js';
import { unetDefinition } from './unet/unet.js';

/** Every component this port can convert and run. Add new definitions here. */
export const COMPONENTS: ComponentDefinition[] = [
  movqDefinition,
  priorDefinition,
  unetDefinition,
  mclipTextEncoderDefinition,
  clipTextEncoderDefinition,
  clipImageEncoderDefinition,
];

/** Finds the definition for a `config.json`, or throws naming what was found. */
export function componentFor(config: ModelConfig, where = 'config.json'): ComponentDefinition {
  const def = COMPONENTS.find((d) => d.matches(config));
  if (!def) {
    const id = config._class_name ?? config.model_type ?? config.architectures ?? '(no _class_name or model_type)';
    throw new Error(
      `${where}: unsupported component ${JSON.stringify(id)}; supported: ${COMPONENTS.map((d) => d.kind).join(', ')}`,
    );
  }
  return def;
}

/** Finds a definition by its kind. */
export function componentByKind(kind: string): ComponentDefinition {
  const def = COMPONENTS.find((d) => d.kind === kind);
  if (!def) throw new Error(`unknown component kind "${kind}"`);
  return def;
}

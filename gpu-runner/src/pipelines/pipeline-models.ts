import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLIP_IMAGE_PROCESSOR_DEFAULTS,
  type ClipImageProcessorConfig,
  parseClipImageProcessorConfig,
} from '../image/index.js';
import { type LoadedComponent, type LoadOptions, loadComponent } from '../models/load-component.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { RawSchedulerConfig } from '../schedulers/scheduler-config.js';
import { loadClipTokenizer, loadXlmRobertaTokenizer } from '../tokenizers/index.js';
import type { DecoderComponents, DecoderUNet, PriorComponents } from './components.js';
import type { SchedulerName } from './generation-request.js';
import {
  decoderTextEncoderFrom,
  imageEncoderFrom,
  movqFrom,
  priorFrom,
  priorTextEncoderFrom,
  unetFrom,
} from './model-adapters.js';
import { COMPONENT_FOLDERS, type ComponentFolder, OPTIONAL_COMPONENTS } from './model-folder-layout.js';

/** The scheduler configs a model folder may carry; absent ones leave Kandinsky's defaults. */
export type SchedulerConfigs = Partial<Record<'ddim' | 'ddpm' | 'unclip', RawSchedulerConfig>>;

/** Everything the generation tasks run on, loaded once from a converted model folder. */
export interface PipelineModels {
  prior: PriorComponents;
  /** The decoder's components but its U-Net, which depends on the task (see {@link unets}). */
  decoder: Omit<DecoderComponents, 'unet'>;
  /** The 4-channel U-Net, and the 9-channel inpainting one when the folder has it. */
  unets: { text2image: DecoderUNet; inpaint?: DecoderUNet };
  clipConfig: ClipImageProcessorConfig;
  schedulerConfigs: SchedulerConfigs;
  /** Releases every loaded component. */
  dispose(): void;
}

/**
 * Loads `<root>/<component>/component.json` for every component (`unet_inpaint` optional), the tokenizers
 * (`tokenizer/` XLM-R, `prior_tokenizer/` CLIP), and, when present, `image_processor/preprocessor_config.json` and
 * the scheduler configs (`scheduler/`, `ddpm_scheduler/`, `prior_scheduler/`). A failure releases what was loaded.
 */
export async function loadPipelineModels(root: string, opts: LoadOptions = {}): Promise<PipelineModels> {
  const loaded = new Map<ComponentFolder, LoadedComponent>();
  const dispose = () => {
    for (const component of loaded.values()) component.dispose();
  };
  try {
    for (const name of COMPONENT_FOLDERS) {
      if (OPTIONAL_COMPONENTS.includes(name) && !existsSync(join(root, name, 'component.json'))) continue;
      loaded.set(name, await loadComponent(join(root, name), opts));
    }
    const get = (name: ComponentFolder): LoadedComponent => {
      const component = loaded.get(name);
      if (!component) throw new Error(`${root}: component ${name} was not loaded`);
      return component;
    };
    const prior = priorFrom(get('prior'));
    const inpaint = loaded.get('unet_inpaint');
    const processor = await readJson(join(root, 'image_processor', 'preprocessor_config.json'));
    return {
      prior: {
        tokenizer: await loadClipTokenizer(join(root, 'prior_tokenizer'), { maxLength: prior.textLength }),
        textEncoder: priorTextEncoderFrom(get('prior_text_encoder')),
        prior,
        imageEncoder: imageEncoderFrom(get('image_encoder')),
      },
      decoder: {
        tokenizer: await loadXlmRobertaTokenizer(join(root, 'tokenizer')),
        textEncoder: decoderTextEncoderFrom(get('text_encoder')),
        movq: movqFrom(get('movq')),
      },
      unets: { text2image: unetFrom(get('unet')), inpaint: inpaint ? unetFrom(inpaint) : undefined },
      clipConfig: processor ? parseClipImageProcessorConfig(processor) : CLIP_IMAGE_PROCESSOR_DEFAULTS,
      schedulerConfigs: {
        ddim: await readJson(join(root, 'scheduler', 'scheduler_config.json')),
        ddpm: await readJson(join(root, 'ddpm_scheduler', 'scheduler_config.json')),
        unclip: await readJson(join(root, 'prior_scheduler', 'scheduler_config.json')),
      },
      dispose,
    };
  } catch (err) {
    dispose();
    throw err;
  }
}

/** The prior's UnCLIP scheduler, from the folder's `prior_scheduler/` config when it has one. */
export function priorScheduler(models: PipelineModels): Scheduler {
  return createScheduler('unclip', models.schedulerConfigs.unclip);
}

/** A decoder scheduler by name; DPM-Solver++ takes the decoder's DDIM config (the folder has no config of its own). */
export function decoderScheduler(models: PipelineModels, name: SchedulerName): Scheduler {
  const configs = models.schedulerConfigs;
  return createScheduler(name, name === 'dpmpp_2m' ? configs.ddim : configs[name]);
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

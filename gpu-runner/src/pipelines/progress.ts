import { GenerationCancelledError } from './pipeline-errors.js';

/** The stages a generation reports progress for. */
export type GenerationStage = 'encode' | 'prior' | 'decoder' | 'movq';

/** One progress report: `step` of `totalSteps` of `stage` is done. */
export interface ProgressEvent {
  stage: GenerationStage;
  step: number;
  totalSteps: number;
}

/** Progress reporting and cancellation shared by every pipeline. */
export interface RunControl {
  /** Called after every denoising step (and once per other stage). Exceptions it throws abort the run. */
  onProgress?: (event: ProgressEvent) => void;
  /** Checked between steps: once aborted, the run stops with a {@link GenerationCancelledError}. */
  signal?: AbortSignal;
}

/** Throws {@link GenerationCancelledError} when the run's signal has fired. */
export function throwIfCancelled(control: RunControl, stage: GenerationStage): void {
  if (control.signal?.aborted) throw new GenerationCancelledError(stage);
}

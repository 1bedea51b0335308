/**
 * Browser module `main.js`: wires the page together (key field, task tabs, uploads, mask editor, fusion list,
 * submit → create job → follow its events → gallery, cancel, reuse of a result's settings).
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const MAIN_JS = String.raw`
import { ApiRequestError, createApiClient, isTerminal } from './api-client.js';
import { clearErrors, fieldIdForError, showError } from './field-errors.js';
import { createFuseList } from './fuse-list.js';
import { createGallery } from './gallery.js';
import { loadKey, saveKey } from './key-store.js';
import { MaskBrush } from './mask-brush.js';
import { outputSizeFor } from './output-size.js';
import { createProgressView } from './progress-view.js';
import { buildJobRequest } from './request-builder.js';
import { setupTabs } from './tabs.js';

const RECENT_JOBS = 12;
const byId = (id) => document.getElementById(id);

const form = byId('generate-form');
const keyInput = byId('api-key');
const submitButton = byId('generate');
const cancelButton = byId('cancel');
const api = createApiClient({ getKey: () => keyInput.value.trim() });
const progress = createProgressView({
  container: byId('job-status'),
  text: byId('status-text'),
  bar: byId('job-progress'),
  live: { figure: byId('live-figure'), image: byId('live-image'), caption: byId('live-caption') },
});
const fuseList = createFuseList({ list: byId('fuse-list'), addText: byId('fuse-add-text'), addImage: byId('fuse-add-image') });
const maskBrush = new MaskBrush({ canvas: byId('mask-canvas'), image: byId('inpaint-preview') });
const gallery = createGallery({ list: byId('gallery'), emptyNote: byId('gallery-empty'), onReuse: reuseSettings });
const tabs = setupTabs(document.querySelector('[role=tablist]'), showTask);

let currentJobId = null;
let followAbort = null;

keyInput.value = loadKey();
keyInput.addEventListener('change', () => {
  saveKey(keyInput.value.trim());
  clearErrors(document);
  loadRecentJobs();
});
byId('forget-key').addEventListener('click', () => {
  keyInput.value = '';
  saveKey('');
  keyInput.focus();
});

for (const task of ['variation', 'img2img']) {
  const input = byId(task + '-image');
  const preview = byId(task + '-preview');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !file;
    if (!file) return;
    preview.onload = () => {
      if (task === 'img2img') matchSizeTo(preview.naturalWidth, preview.naturalHeight);
    };
    preview.src = URL.createObjectURL(file);
  });
}

byId('strength').addEventListener('input', (event) => {
  byId('strength-value').textContent = Number(event.target.value).toFixed(2);
});

byId('inpaint-image').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  byId('inpaint-mask').hidden = !file;
  if (!file) return;
  try {
    const { width, height } = await maskBrush.load(file);
    matchSizeTo(width, height);
  } catch (error) {
    showError(document, { message: error.message }, 'inpaint-image');
  }
});
byId('brush-size').addEventListener('input', (event) => {
  maskBrush.setBrushSize(Number(event.target.value));
  byId('brush-size-value').textContent = event.target.value;
});
byId('mask-erase').addEventListener('click', (event) => {
  const erasing = event.currentTarget.getAttribute('aria-pressed') !== 'true';
  event.currentTarget.setAttribute('aria-pressed', String(erasing));
  maskBrush.setErasing(erasing);
});
byId('mask-undo').addEventListener('click', () => maskBrush.undo());
byId('mask-clear').addEventListener('click', () => maskBrush.clear());
byId('mask-all').addEventListener('click', () => maskBrush.fillAll());

cancelButton.addEventListener('click', async () => {
  if (!currentJobId) return;
  cancelButton.disabled = true;
  try {
    progress.show(await api.cancelJob(currentJobId));
  } catch (error) {
    reportError(error);
  }
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (currentJobId) return;
  clearErrors(document);
  const task = tabs.selected();
  submitButton.disabled = true;
  try {
    const { request, files } = buildJobRequest(await formValues(task));
    progress.message('Sending…');
    const job = await api.createJob(request, files);
    await follow(job);
  } catch (error) {
    progress.hide();
    reportError(error);
  } finally {
    currentJobId = null;
    submitButton.disabled = false;
    cancelButton.hidden = true;
  }
});

// Leaving the page ends the event stream instead of leaving it to the browser's connection limits.
window.addEventListener('pagehide', () => followAbort?.abort());

showTask(tabs.selected());
if (keyInput.value) loadRecentJobs();

/** Collects the raw form values (request-builder.js decides what to send). */
async function formValues(task) {
  const value = (id) => byId(id).value;
  return {
    task,
    prompt: value('prompt'),
    negativePrompt: value('negative-prompt'),
    size: value('size'),
    n: value('count'),
    steps: value('steps'),
    guidance: value('guidance'),
    seed: value('seed'),
    scheduler: value('scheduler'),
    priorSteps: value('prior-steps'),
    priorGuidance: value('prior-guidance'),
    outputFormat: value('output-format'),
    strength: value('strength'),
    image: task === 'variation' || task === 'img2img' || task === 'inpaint' ? byId(task + '-image').files?.[0] ?? null : null,
    mask: task === 'inpaint' ? await maskBrush.toPngBlob() : null,
    fuse: task === 'fuse' ? fuseList.values() : [],
    livePreview: byId('live-preview').checked,
  };
}

/** Shows a job's progress until it ends, then its images or why it did not produce any. */
async function follow(job) {
  currentJobId = job.id;
  cancelButton.hidden = false;
  cancelButton.disabled = false;
  progress.clearPreview();
  progress.show(job);
  followAbort = new AbortController();
  let totalSteps = null;
  const final = isTerminal(job.status)
    ? job
    : await api.followJob(job.id, {
        onUpdate: (update) => {
          totalSteps = update.progress?.total_steps ?? totalSteps;
          progress.show(update);
        },
        onPreview: (preview) => progress.preview(preview, totalSteps),
        signal: followAbort.signal,
      });
  progress.show(final);
  progress.clearPreview();
  if (final.status === 'succeeded') gallery.addJob(final, { reveal: true });
  else if (final.status === 'failed') showError(document, { message: 'The job failed: ' + (final.error?.message ?? 'unknown error') }, null);
}

/** Puts an error where it belongs: next to its field when the API names one, else in the form's alert. */
function reportError(error) {
  const apiError = error instanceof ApiRequestError ? error : { message: String(error?.message ?? error), param: null };
  const target = showError(document, apiError, fieldIdForError(apiError, tabs.selected()));
  if (target.id === 'form-error') target.scrollIntoView({ block: 'nearest' });
  else target.focus();
}

/** Tab change: the prompt is optional for variations and replaced by the input list for fusion. */
function showTask(task) {
  byId('prompt-field').hidden = task === 'fuse';
  byId('prompt-label').textContent = task === 'variation' ? 'Prompt (optional)' : 'Prompt';
}

/** Selects the output size for a size string, adding it to the list when it is not a preset. */
function selectSize(size) {
  const select = byId('size');
  if (![...select.options].some((option) => option.value === size)) {
    select.add(new Option(size.replace('x', ' × '), size));
  }
  select.value = size;
}

/** Image-to-image and inpainting keep the picture's shape: the output size follows the upload (see output-size.js). */
function matchSizeTo(width, height) {
  selectSize(outputSizeFor(width, height));
}

/** Fills the form with the settings that made a result (its own seed, one image). */
function reuseSettings(job, image) {
  const input = job.input;
  tabs.select(job.task);
  const set = (id, value) => {
    if (value !== undefined && value !== null) byId(id).value = String(value);
  };
  set('prompt', input.prompt ?? '');
  set('negative-prompt', input.negative_prompt ?? '');
  selectSize(input.width + 'x' + input.height);
  set('count', 1);
  set('steps', input.steps);
  set('guidance', input.guidance_scale);
  set('seed', image.seed);
  set('scheduler', input.scheduler);
  set('prior-steps', input.prior_steps);
  set('prior-guidance', input.prior_guidance_scale);
  set('output-format', input.output_format);
  if (input.strength !== undefined) {
    set('strength', input.strength);
    byId('strength-value').textContent = Number(input.strength).toFixed(2);
  }
  clearErrors(document);
  const note = input.image || input.inputs ? 'Settings restored; upload the same images to reproduce it.' : 'Settings restored.';
  progress.message(note, { waiting: false });
  form.scrollIntoView({ block: 'start' });
  submitButton.focus();
}

/** Fills the gallery with this key's recent results (their URLs are signed afresh by the API). */
async function loadRecentJobs() {
  const key = keyInput.value.trim();
  if (!key) return;
  try {
    const page = await api.listJobs(RECENT_JOBS);
    if (keyInput.value.trim() !== key) return;
    for (const job of page.data.slice().reverse()) gallery.addJob(job);
  } catch (error) {
    // An answer about a key that has since been replaced is no longer news.
    if (keyInput.value.trim() === key) reportError(error);
  }
}
`;

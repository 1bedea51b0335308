/**
 * Browser module `gallery.js`: result cards. Each image links to its signed URL and lists the parameters that
 * reproduce it (the job's resolved settings with the image's own seed), with the request body to send again.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const GALLERY_JS = String.raw`
import { reproduceRequest } from './request-builder.js';

const TASK_LABELS = {
  text2image: 'Text to image',
  variation: 'Variation',
  fuse: 'Fusion',
  img2img: 'Image to image',
  inpaint: 'Inpainting',
};

/**
 * @param {{ list: HTMLUListElement, emptyNote: HTMLElement, onReuse: (job: object, image: object) => void }} options
 */
export function createGallery({ list, emptyNote, onReuse }) {
  const shown = new Set();
  return {
    /**
     * Adds a succeeded job's images at the top (once per job). With reveal, scrolls them into view: on a phone the
     * gallery is below the form.
     * @param {object} job
     * @param {{ reveal?: boolean }} [options]
     */
    addJob(job, { reveal = false } = {}) {
      if (job.status !== 'succeeded' || !job.output || shown.has(job.id)) return;
      shown.add(job.id);
      const cards = job.output.images.map((image, index) => card(job, image, index, onReuse));
      list.prepend(...cards);
      emptyNote.hidden = true;
      if (reveal && cards.length > 0) cards[0].scrollIntoView({ block: 'nearest' });
    },
  };
}

/** Short text describing a job: its prompt, or the fusion prompts. */
function describe(job) {
  if (job.input.prompt) return job.input.prompt;
  if (job.input.inputs) {
    return job.input.inputs.map((item) => (item.type === 'text' ? item.text : '[image]')).join(' + ');
  }
  return TASK_LABELS[job.task] ?? job.task;
}

function card(job, image, index, onReuse) {
  const li = document.createElement('li');
  li.className = 'result';
  li.dataset.jobId = job.id;
  li.dataset.index = String(index);
  const figure = document.createElement('figure');
  const link = document.createElement('a');
  link.href = image.url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  const img = document.createElement('img');
  img.src = image.url;
  img.width = image.width;
  img.height = image.height;
  img.alt = 'Generated: ' + describe(job);
  img.decoding = 'async';
  link.append(img);

  const caption = document.createElement('figcaption');
  const prompt = document.createElement('p');
  prompt.className = 'prompt';
  prompt.dir = 'auto';
  prompt.textContent = describe(job);
  const input = job.input;
  const rows = [
    ['Task', TASK_LABELS[job.task] ?? job.task],
    ['Seed', image.seed],
    ['Size', image.width + ' × ' + image.height],
    ['Steps', input.steps],
    ['Guidance', input.guidance_scale],
    ['Scheduler', input.scheduler],
    ['Prior', input.prior_steps + ' steps, guidance ' + input.prior_guidance_scale],
  ];
  if (input.strength !== undefined) rows.push(['Strength', input.strength]);
  if (input.inputs) {
    const weights = input.inputs.map((item, i) => (item.type === 'text' ? 'prompt ' : 'image ') + (i + 1) + ': ' + item.weight);
    rows.push(['Weights', weights.join(', ')]);
  }
  if (input.negative_prompt) rows.push(['Negative', input.negative_prompt]);
  rows.push(['Job', job.id]);
  const params = document.createElement('dl');
  params.className = 'params';
  for (const [name, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = String(value);
    params.append(dt, dd);
  }

  const request = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = 'Request to reproduce';
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify(reproduceRequest(job, image), null, 2);
  request.append(summary, pre);

  const actions = document.createElement('div');
  actions.className = 'row';
  const reuse = document.createElement('button');
  reuse.type = 'button';
  reuse.textContent = 'Reuse settings';
  reuse.setAttribute('aria-label', 'Reuse the settings of image ' + (index + 1) + ' of job ' + job.id);
  reuse.addEventListener('click', () => onReuse(job, image));
  actions.append(reuse);

  caption.append(prompt, params, request, actions);
  figure.append(link, caption);
  li.append(figure);
  return li;
}
`;

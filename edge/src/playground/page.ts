import { assetPath } from './asset-paths';

/** Fields every task shares, in the order they appear. Each has an error slot `<id>-error` for API messages. */
const SETTINGS = `
<div class="grid">
  <div class="field">
    <label for="size">Size</label>
    <select id="size" name="size" aria-describedby="size-error">
      <option value="512x512" selected>512 × 512</option>
      <option value="768x768">768 × 768</option>
      <option value="1024x1024">1024 × 1024</option>
      <option value="768x512">768 × 512</option>
      <option value="512x768">512 × 768</option>
      <option value="256x256">256 × 256</option>
    </select>
    <p id="size-error" class="field-error" hidden></p>
  </div>
  <div class="field">
    <label for="count">Images</label>
    <select id="count" name="n" aria-describedby="count-error">
      <option value="1" selected>1</option><option value="2">2</option><option value="3">3</option><option value="4">4</option>
    </select>
    <p id="count-error" class="field-error" hidden></p>
  </div>
  <div class="field">
    <label for="steps">Steps</label>
    <input id="steps" name="steps" type="number" inputmode="numeric" min="1" max="150" step="1" value="50" aria-describedby="steps-hint steps-error">
    <p id="steps-hint" class="hint">1–150 denoising steps.</p>
    <p id="steps-error" class="field-error" hidden></p>
  </div>
  <div class="field">
    <label for="guidance">Guidance</label>
    <input id="guidance" name="guidance_scale" type="number" inputmode="decimal" min="1" max="20" step="0.5" value="4" aria-describedby="guidance-hint guidance-error">
    <p id="guidance-hint" class="hint">1–20: how closely to follow the prompt.</p>
    <p id="guidance-error" class="field-error" hidden></p>
  </div>
  <div class="field">
    <label for="seed">Seed</label>
    <input id="seed" name="seed" type="number" inputmode="numeric" min="0" max="4294967295" step="1" placeholder="random" aria-describedby="seed-hint seed-error">
    <p id="seed-hint" class="hint">Empty for a random seed.</p>
    <p id="seed-error" class="field-error" hidden></p>
  </div>
  <div class="field">
    <label for="scheduler">Scheduler</label>
    <select id="scheduler" name="scheduler" aria-describedby="scheduler-error">
      <option value="ddim" selected>DDIM</option>
      <option value="ddpm">DDPM</option>
      <option value="dpmpp_2m">DPM++ 2M</option>
    </select>
    <p id="scheduler-error" class="field-error" hidden></p>
  </div>
</div>
<details class="more">
  <summary>More settings</summary>
  <div class="grid">
    <div class="field">
      <label for="prior-steps">Prior steps</label>
      <input id="prior-steps" name="prior_steps" type="number" inputmode="numeric" min="1" max="150" step="1" value="25" aria-describedby="prior-steps-error">
      <p id="prior-steps-error" class="field-error" hidden></p>
    </div>
    <div class="field">
      <label for="prior-guidance">Prior guidance</label>
      <input id="prior-guidance" name="prior_guidance_scale" type="number" inputmode="decimal" min="1" max="20" step="0.5" value="4" aria-describedby="prior-guidance-error">
      <p id="prior-guidance-error" class="field-error" hidden></p>
    </div>
    <div class="field checkbox">
      <input id="live-preview" name="live_preview" type="checkbox" checked aria-describedby="live-preview-hint">
      <label for="live-preview">Show the image as it forms</label>
      <p id="live-preview-hint" class="hint">About ten previews during the run (each costs a little time).</p>
    </div>
    <div class="field">
      <label for="output-format">Format</label>
      <select id="output-format" name="output_format" aria-describedby="output-format-error">
        <option value="png" selected>PNG</option><option value="jpeg">JPEG</option><option value="webp">WebP</option>
      </select>
      <p id="output-format-error" class="field-error" hidden></p>
    </div>
  </div>
</details>`;

/** An image upload with a preview, for the variation and img2img tabs. */
function uploadField(task: string, label: string): string {
  return `
  <div class="field">
    <label for="${task}-image">${label}</label>
    <input id="${task}-image" type="file" accept="image/png,image/jpeg,image/webp" aria-describedby="${task}-image-hint ${task}-image-error">
    <p id="${task}-image-hint" class="hint">PNG, JPEG or WebP, up to 8 MB.${task === 'img2img' ? ' The size below follows the image.' : ''}</p>
    <p id="${task}-image-error" class="field-error" hidden></p>
    <img id="${task}-preview" class="preview" alt="" hidden>
  </div>`;
}

const TASK_PANELS = `
<div class="tabs" role="tablist" aria-label="Task">
  <button type="button" role="tab" id="tab-text2image" data-task="text2image" aria-controls="panel-text2image" aria-selected="true">Text</button>
  <button type="button" role="tab" id="tab-variation" data-task="variation" aria-controls="panel-variation" aria-selected="false" tabindex="-1">Variation</button>
  <button type="button" role="tab" id="tab-fuse" data-task="fuse" aria-controls="panel-fuse" aria-selected="false" tabindex="-1">Fusion</button>
  <button type="button" role="tab" id="tab-img2img" data-task="img2img" aria-controls="panel-img2img" aria-selected="false" tabindex="-1">Image to image</button>
  <button type="button" role="tab" id="tab-inpaint" data-task="inpaint" aria-controls="panel-inpaint" aria-selected="false" tabindex="-1">Inpainting</button>
</div>
<div role="tabpanel" id="panel-text2image" aria-labelledby="tab-text2image" class="tab-panel">
  <p class="hint">Describe the image in any language.</p>
</div>
<div role="tabpanel" id="panel-variation" aria-labelledby="tab-variation" class="tab-panel" hidden>
  <p class="hint">New images in the spirit of an image you upload; a prompt is optional.</p>
  ${uploadField('variation', 'Image')}
</div>
<div role="tabpanel" id="panel-fuse" aria-labelledby="tab-fuse" class="tab-panel" hidden>
  <fieldset id="fuse-items" class="fuse" tabindex="-1" aria-describedby="fuse-items-hint fuse-items-error">
    <legend>Prompts and images to mix</legend>
    <p id="fuse-items-hint" class="hint">2 to 8 inputs; the weights set how much each one counts.</p>
    <ol id="fuse-list" class="fuse-list"></ol>
    <div class="row">
      <button type="button" id="fuse-add-text">Add a prompt</button>
      <button type="button" id="fuse-add-image">Add an image</button>
    </div>
    <p id="fuse-items-error" class="field-error" hidden></p>
  </fieldset>
</div>
<div role="tabpanel" id="panel-img2img" aria-labelledby="tab-img2img" class="tab-panel" hidden>
  ${uploadField('img2img', 'Starting image')}
  <div class="field">
    <label for="strength">Strength <output id="strength-value" for="strength">0.30</output></label>
    <input id="strength" type="range" min="0.05" max="1" step="0.05" value="0.3" aria-describedby="strength-hint strength-error">
    <p id="strength-hint" class="hint">How far to move away from the starting image (1 = ignore it).</p>
    <p id="strength-error" class="field-error" hidden></p>
  </div>
</div>
<div role="tabpanel" id="panel-inpaint" aria-labelledby="tab-inpaint" class="tab-panel" hidden>
  <div class="field">
    <label for="inpaint-image">Image to repaint</label>
    <input id="inpaint-image" type="file" accept="image/png,image/jpeg,image/webp" aria-describedby="inpaint-image-hint inpaint-image-error">
    <p id="inpaint-image-hint" class="hint">Then paint over the part to replace. The size below follows the image.</p>
    <p id="inpaint-image-error" class="field-error" hidden></p>
  </div>
  <div id="inpaint-mask" class="mask-editor" tabindex="-1" aria-describedby="inpaint-mask-hint inpaint-mask-error" hidden>
    <div class="mask-stage">
      <img id="inpaint-preview" alt="The image to repaint">
      <canvas id="mask-canvas" aria-label="Mask: paint over the area to repaint"></canvas>
    </div>
    <p id="inpaint-mask-hint" class="hint">Painted areas are repainted, the rest is kept. With a keyboard, use “Mask everything” or the buttons below.</p>
    <div class="row mask-tools">
      <label for="brush-size">Brush <output id="brush-size-value" for="brush-size">40</output></label>
      <input id="brush-size" type="range" min="4" max="200" step="2" value="40">
      <button type="button" id="mask-erase" aria-pressed="false">Eraser</button>
      <button type="button" id="mask-undo">Undo</button>
      <button type="button" id="mask-clear">Clear</button>
      <button type="button" id="mask-all">Mask everything</button>
    </div>
    <p id="inpaint-mask-error" class="field-error" hidden></p>
  </div>
</div>`;

/**
 * The playground page. No inline scripts or styles (the CSP forbids them): behaviour and looks come from the
 * same-origin assets the sub-app serves.
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Kandinsky 2.1 playground</title>
<link rel="icon" href="${assetPath('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetPath('playground.css')}">
<script type="module" src="${assetPath('main.js')}"></script>
</head>
<body>
<a class="skip-link" href="#generate-form">Skip to the form</a>
<header class="site-header">
  <h1>Kandinsky 2.1 playground</h1>
  <p>Make images with this server's API. Your API key stays in this browser.</p>
</header>
<main class="layout">
  <div class="column">
    <section class="panel" aria-labelledby="key-heading">
      <h2 id="key-heading">API key</h2>
      <div class="field">
        <label for="api-key">Key</label>
        <div class="row">
          <input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="kd_live_…" aria-describedby="api-key-hint api-key-error">
          <button type="button" id="forget-key">Forget</button>
        </div>
        <p id="api-key-hint" class="hint">Kept in this browser's local storage and sent only to this API.</p>
        <p id="api-key-error" class="field-error" hidden></p>
      </div>
    </section>
    <form id="generate-form" class="panel" novalidate aria-labelledby="form-heading">
      <h2 id="form-heading">Generate</h2>
      ${TASK_PANELS}
      <div id="prompt-field" class="field">
        <label for="prompt" id="prompt-label">Prompt</label>
        <textarea id="prompt" name="prompt" rows="3" dir="auto" maxlength="2000" aria-describedby="prompt-error"></textarea>
        <p id="prompt-error" class="field-error" hidden></p>
      </div>
      <div class="field">
        <label for="negative-prompt">Negative prompt</label>
        <textarea id="negative-prompt" name="negative_prompt" rows="2" dir="auto" maxlength="2000" aria-describedby="negative-prompt-hint negative-prompt-error"></textarea>
        <p id="negative-prompt-hint" class="hint">What to steer away from (optional).</p>
        <p id="negative-prompt-error" class="field-error" hidden></p>
      </div>
      ${SETTINGS}
      <div id="form-error" class="form-error" role="alert" hidden></div>
      <div class="row actions">
        <button type="submit" id="generate" class="primary">Generate</button>
        <button type="button" id="cancel" hidden>Cancel</button>
      </div>
      <div id="job-status" class="job-status" hidden>
        <p id="status-text" role="status" aria-live="polite"></p>
        <progress id="job-progress" max="1" value="0" aria-labelledby="status-text"></progress>
        <figure id="live-figure" class="live" hidden>
          <img id="live-image" alt="">
          <figcaption id="live-caption"></figcaption>
        </figure>
      </div>
    </form>
  </div>
  <section class="panel results" aria-labelledby="results-heading">
    <h2 id="results-heading">Results</h2>
    <p id="gallery-empty" class="hint">No images yet. Results appear here with the settings that reproduce them.</p>
    <ul id="gallery" class="gallery"></ul>
  </section>
</main>
</body>
</html>
`;

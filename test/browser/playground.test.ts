import type { Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, type TestBrowser } from './stack/browser';
import { type LocalStack, startLocalStack } from './stack/local-stack';
import { openPlayground, screenshot, screenshotOf, type WatchedPage, waitForGallery } from './stack/page-helpers';
import { channelAt, decodePng, pictureFor } from './stack/png';

// Against the local stack: the edge under wrangler dev, a SigV4-verifying S3 server and a fake runner that speaks
// the signed runner protocol (stack/). Screenshots go to test/browser/artifacts/.
let stack: LocalStack;
let desktop: TestBrowser;
let watched: WatchedPage | null = null;

beforeAll(async () => {
  stack = await startLocalStack();
  desktop = await launchBrowser('desktop');
});

afterAll(async () => {
  await desktop?.close();
  await stack?.stop();
});

afterEach(async () => {
  const problems = watched?.problems ?? [];
  // The profile is shared by the desktop tests: no key carries over from one test to the next.
  await watched?.page.evaluate(() => localStorage.clear());
  await watched?.page.close();
  watched = null;
  expect(stack.runner.failure).toBeNull();
  expect(problems).toEqual([]);
});

/** Opens the page with a fresh API key typed into the key field. */
async function pageWithKey(): Promise<WatchedPage> {
  watched = await openPlayground(desktop.context, stack.edge.url);
  const key = await stack.createKey();
  await watched.page.fill('#api-key', key);
  await watched.page.locator('#api-key').dispatchEvent('change');
  return watched;
}

/** The "parameters to reproduce" list of a result card, as name → shown value. */
function paramsOf(card: Locator): Promise<Record<string, string>> {
  return card.locator('dl.params').evaluate((list) => {
    const names = Array.from(list.querySelectorAll('dt'), (dt) => dt.textContent ?? '');
    const values = Array.from(list.querySelectorAll('dd'), (dd) => dd.textContent ?? '');
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  });
}

describe('web playground (Chromium, local stack)', () => {
  test('generates from a prompt: live step count from SSE, then the image with the settings that reproduce it', async () => {
    const { page, requests } = await pageWithKey();
    const prompt = 'Ein roter Fuchs im Schnee — 雪の中の赤い狐';
    await page.fill('#prompt', prompt);
    await page.fill('#negative-prompt', 'blurry');
    await page.selectOption('#size', '768x512');
    await page.fill('#steps', '6');
    await page.fill('#guidance', '5.5');
    await page.fill('#seed', '1234');
    await page.selectOption('#scheduler', 'dpmpp_2m');
    const gate = stack.runner.pauseAt(3);
    await page.click('#generate');

    const leased = await gate.reached;
    await expect.poll(() => page.textContent('#status-text')).toBe('Step 3 of 6 (denoising)');
    expect(await page.getAttribute('#job-progress', 'value')).toBe('3');
    expect(await page.getAttribute('#job-progress', 'max')).toBe('6');
    expect(await page.isVisible('#cancel')).toBe(true);
    await screenshot(page, 'desktop-progress');
    gate.release();

    await waitForGallery(page);
    const image = page.locator('#gallery img').first();
    const size = await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    expect(size).toEqual([768, 512]);
    const src = (await image.getAttribute('src')) ?? '';
    expect(src.startsWith(`${stack.bucket.endpoint}/kd-browser/results/`)).toBe(true);
    expect(src).toContain('X-Amz-Signature=');
    expect(await page.textContent('#status-text')).toBe('Done: 1 image.');

    expect(leased.task).toBe('text2image');
    expect(leased.params).toMatchObject({
      prompt,
      negative_prompt: 'blurry',
      width: 768,
      height: 512,
      steps: 6,
      guidance_scale: 5.5,
      seed: 1234,
      scheduler: 'dpmpp_2m',
    });
    const card = page.locator('#gallery li').first();
    expect(await paramsOf(card)).toMatchObject({
      Task: 'Text to image',
      Seed: '1234',
      Size: '768 × 512',
      Steps: '6',
      Guidance: '5.5',
      Scheduler: 'dpmpp_2m',
      Negative: 'blurry',
    });
    expect(await card.locator('.prompt').textContent()).toBe(prompt);
    const reproduce = JSON.parse((await card.locator('pre').textContent()) ?? '');
    expect(reproduce).toMatchObject({
      task: 'text2image',
      input: { prompt, seed: 1234, n: 1, size: '768x512', steps: 6 },
    });
    await screenshot(page, 'desktop-result');

    // The key stays in this browser: saved locally, sent only to the API's origin, never to the bucket.
    const stored = await page.evaluate(() => localStorage.getItem('kandinsky-playground.api-key'));
    expect(stored).toBe(await page.inputValue('#api-key'));
    for (const request of requests) {
      const authorization = (await request.allHeaders()).authorization;
      if (authorization) expect(new URL(request.url()).origin).toBe(stack.edge.url);
    }
    expect(requests.some((request) => request.url().startsWith(stack.bucket.endpoint))).toBe(true);

    // "Reuse settings" puts the image's own seed and settings back into the form.
    await page.fill('#seed', '');
    await card.getByRole('button', { name: /Reuse the settings/ }).click();
    expect(await page.inputValue('#seed')).toBe('1234');
    expect(await page.inputValue('#prompt')).toBe(prompt);
  });

  test("shows the API's validation message next to the field it names, and nothing is queued", async () => {
    const { page } = await pageWithKey();
    await page.fill('#prompt', 'a lighthouse at dusk');
    await page.fill('#steps', '500');
    const leasedBefore = stack.runner.jobs.length;
    await page.click('#generate');

    const error = page.locator('#steps-error');
    await error.waitFor();
    // The exact words of the API for the same request.
    const key = await page.inputValue('#api-key');
    const direct = await fetch(`${stack.edge.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'text2image', input: { prompt: 'a lighthouse at dusk', steps: 500 } }),
    });
    const body = (await direct.json()) as { error: { message: string; param: string } };
    expect(direct.status).toBe(400);
    expect(body.error.param).toBe('input.steps');
    expect(await error.textContent()).toBe(body.error.message);
    expect(await page.getAttribute('#steps', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('steps');
    expect(await page.isHidden('#form-error')).toBe(true);
    await screenshot(page, 'desktop-validation-error');

    // A wrong key is reported at the key field, in the API's words.
    await page.fill('#api-key', 'kd_live_wrong');
    await page.click('#generate');
    await page.locator('#api-key-error').waitFor();
    expect(await page.textContent('#api-key-error')).toBe('Incorrect API key provided.');
    expect(stack.runner.jobs.length).toBe(leasedBefore);
  });

  test('inpaints with a mask drawn on the uploaded image; the mask reaches the runner white where painted', async () => {
    const { page } = await pageWithKey();
    await page.click('#tab-inpaint');
    const photo = pictureFor(256, 192, 5);
    await page.setInputFiles('#inpaint-image', { name: 'photo.png', mimeType: 'image/png', buffer: photo });
    await page.locator('#mask-canvas').waitFor();
    await page.waitForFunction(() => (document.getElementById('mask-canvas') as HTMLCanvasElement).width === 256);
    // The output keeps the picture's shape.
    expect(await page.inputValue('#size')).toBe('256x192');

    // One horizontal stroke across the middle of the left half.
    const box = (await page.locator('#mask-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.1 + 0.04 * i), box.y + box.height * 0.5);
    await page.mouse.up();
    await page.fill('#prompt', 'a wooden door');
    await page.fill('#steps', '4');
    await page.click('#generate');

    await waitForGallery(page);
    expect(await page.textContent('#status-text')).toBe('Done: 1 image.');
    const job = stack.runner.jobs.at(-1)!;
    expect(job.task).toBe('inpaint');
    expect(job.params).toMatchObject({ prompt: 'a wooden door', width: 256, height: 192 });
    const uploaded = await stack.bucket.get(String(job.params.image));
    expect(Buffer.from(uploaded).equals(photo)).toBe(true);
    const mask = decodePng(await stack.bucket.get(String(job.params.mask)));
    expect([mask.width, mask.height]).toEqual([256, 192]);
    expect(channelAt(mask, Math.round(256 * 0.3), 96)).toBe(255);
    expect(channelAt(mask, Math.round(256 * 0.45), 96)).toBe(255);
    expect(channelAt(mask, 5, 5)).toBe(0);
    expect(channelAt(mask, 240, 96)).toBe(0);
    expect(channelAt(mask, Math.round(256 * 0.3), 185)).toBe(0);
    expect(await paramsOf(page.locator('#gallery li').first())).toMatchObject({
      Task: 'Inpainting',
      Size: '256 × 192',
    });
    // Taken after the job: the drawn mask is still on the canvas (a capture before the click can shift the page).
    await screenshotOf(page.locator('#panel-inpaint'), 'desktop-inpaint-mask');
    await screenshot(page, 'desktop-inpaint-result');
  });

  test('shows the image as it forms: the queue place while waiting, then each preview, then the result', async () => {
    const { page } = await pageWithKey();
    // Another job holds the runner: the page's job waits in the queue first.
    const key = await page.inputValue('#api-key');
    const blocker = stack.runner.pauseAt(1);
    await fetch(`${stack.edge.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'text2image', input: { prompt: 'first in line', steps: 2 } }),
    });
    await blocker.reached;
    await page.fill('#prompt', 'a lighthouse at dusk');
    await page.selectOption('#size', '256x256');
    await page.fill('#steps', '6');
    expect(await page.isChecked('#live-preview')).toBe(true);
    const gate = stack.runner.pauseAt(3);
    await page.click('#generate');
    await expect.poll(() => page.textContent('#status-text')).toMatch(/^Queued: (next|number \d+) in line/);
    blocker.release();

    const job = await gate.reached;
    expect(job.params.preview_steps).toEqual([1, 2, 3, 4, 5]);
    await expect.poll(() => page.getAttribute('#live-image', 'src')).toContain(`${job.output.prefix}previews/3-0.png`);
    expect(await page.isVisible('#live-figure')).toBe(true);
    expect(await page.textContent('#live-caption')).toBe('Preview after step 3 of 6');
    const size = await page.locator('#live-image').evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size).toEqual([256, 256]);
    await screenshot(page, 'desktop-live-preview');
    gate.release();
    await waitForGallery(page);
    expect(await page.isHidden('#live-figure')).toBe(true);
  });

  test('cancels a running job from the page', async () => {
    const { page } = await pageWithKey();
    await page.fill('#prompt', 'a slow painting');
    await page.fill('#steps', '8');
    const gate = stack.runner.pauseAt(2);
    await page.click('#generate');
    const job = await gate.reached;
    await expect.poll(() => page.textContent('#status-text')).toBe('Step 2 of 8 (denoising)');
    await page.click('#cancel');
    await expect.poll(() => page.textContent('#status-text')).toBe('Cancelled.');
    gate.release();
    // The page settles when the event stream reports the end, a moment after the cancel answer is shown.
    await expect.poll(() => page.isHidden('#cancel')).toBe(true);
    await expect.poll(() => page.isEnabled('#generate')).toBe(true);
    expect(await page.locator('#gallery li').count()).toBe(0);
    const key = await page.inputValue('#api-key');
    const stored = await fetch(`${stack.edge.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await stored.json()) as { status: string }).status).toBe('cancelled');
  });

  test('image to image: upload, strength by keyboard, output size following the upload', async () => {
    const { page } = await pageWithKey();
    await page.click('#tab-img2img');
    const start = pictureFor(320, 192, 2);
    await page.setInputFiles('#img2img-image', { name: 'start.png', mimeType: 'image/png', buffer: start });
    await expect.poll(() => page.inputValue('#size')).toBe('320x192');
    expect(await page.isVisible('#img2img-preview')).toBe(true);
    await page.focus('#strength');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    expect(await page.textContent('#strength-value')).toBe('0.50');
    await page.fill('#prompt', 'as a watercolor');
    await page.fill('#steps', '3');
    await page.click('#generate');
    await waitForGallery(page);
    const job = stack.runner.jobs.at(-1)!;
    expect(job.task).toBe('img2img');
    expect(job.params).toMatchObject({ prompt: 'as a watercolor', strength: 0.5, width: 320, height: 192 });
    expect(Buffer.from(await stack.bucket.get(String(job.params.image))).equals(start)).toBe(true);
    expect(await paramsOf(page.locator('#gallery li').first())).toMatchObject({
      Task: 'Image to image',
      Strength: '0.5',
    });
  });

  test("a failed job shows the runner's error as the API reports it", async () => {
    const { page } = await pageWithKey();
    stack.runner.failNext({ code: 'out_of_memory', message: 'The U-Net did not fit in GPU memory at 1024x1024.' });
    await page.fill('#prompt', 'too big');
    await page.fill('#steps', '3');
    await page.click('#generate');
    await page.locator('#form-error').waitFor();
    expect(await page.textContent('#form-error')).toBe(
      'The job failed: The U-Net did not fit in GPU memory at 1024x1024.',
    );
    expect(await page.textContent('#status-text')).toBe('Failed: The U-Net did not fit in GPU memory at 1024x1024.');
    expect(await page.locator('#gallery li').count()).toBe(0);
  });

  test('variation of an upload without a prompt, two images with consecutive seeds', async () => {
    const { page } = await pageWithKey();
    await page.click('#tab-variation');
    const source = pictureFor(64, 64, 4);
    await page.setInputFiles('#variation-image', { name: 'source.png', mimeType: 'image/png', buffer: source });
    await page.selectOption('#count', '2');
    await page.selectOption('#size', '256x256');
    await page.fill('#seed', '500');
    await page.fill('#steps', '3');
    await page.click('#generate');
    await waitForGallery(page, 2);
    const job = stack.runner.jobs.at(-1)!;
    expect(job.task).toBe('variation');
    expect(job.params.prompt).toBeUndefined();
    expect(job.params).toMatchObject({ n: 2, seed: 500 });
    expect(Buffer.from(await stack.bucket.get(String(job.params.image))).equals(source)).toBe(true);
    expect(await page.textContent('#status-text')).toBe('Done: 2 images.');
    const cards = page.locator('#gallery li');
    const seeds = [(await paramsOf(cards.nth(0))).Seed, (await paramsOf(cards.nth(1))).Seed];
    expect(seeds).toEqual(['500', '501']);
    expect(await cards.nth(0).locator('.prompt').textContent()).toBe('Variation');
  });

  test('task tabs follow the keyboard pattern (arrows, Home, End) and show their panel', async () => {
    const { page } = await pageWithKey();
    await page.focus('#tab-text2image');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-variation');
    expect(await page.getAttribute('#tab-variation', 'aria-selected')).toBe('true');
    expect(await page.isVisible('#panel-variation')).toBe(true);
    expect(await page.isHidden('#panel-text2image')).toBe(true);
    expect(await page.textContent('#prompt-label')).toBe('Prompt (optional)');
    await page.keyboard.press('End');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-inpaint');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-text2image');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await page.getAttribute('#tab-fuse', 'aria-selected')).toBe('true');
    expect(await page.isHidden('#prompt-field')).toBe(true);
  });

  test('fuses a prompt and an uploaded image with their slider weights', async () => {
    const { page } = await pageWithKey();
    await page.click('#tab-fuse');
    await page.fill('#fuse-0-text', 'a castle on a hill');
    // Sliders by keyboard: 0.5 by default, 0.05 a step.
    await page.focus('#fuse-0-weight');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    expect(await page.textContent('output[for=fuse-0-weight]')).toBe('0.30');
    await page.getByRole('button', { name: 'Remove prompt 2' }).click();
    await page.click('#fuse-add-image');
    const picture = pictureFor(96, 96, 9);
    await page.setInputFiles('#fuse-1-image', { name: 'style.png', mimeType: 'image/png', buffer: picture });
    await page.focus('#fuse-1-weight');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.fill('#steps', '3');
    await page.click('#generate');
    await waitForGallery(page);
    const job = stack.runner.jobs.at(-1)!;
    expect(job.task).toBe('fuse');
    const inputs = job.params.inputs as { type: string; text?: string; image?: string; weight: number }[];
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toEqual({ type: 'text', text: 'a castle on a hill', weight: 0.3 });
    expect(inputs[1]).toMatchObject({ type: 'image', weight: 0.7 });
    expect(Buffer.from(await stack.bucket.get(inputs[1].image!)).equals(picture)).toBe(true);
    await screenshot(page, 'desktop-fusion');
  });
});

describe('web playground on a phone', () => {
  test('fits a 390 px screen and generates with taps', async () => {
    const phone = await launchBrowser('phone');
    try {
      watched = await openPlayground(phone.context, stack.edge.url);
      const { page } = watched;
      await page.fill('#api-key', await stack.createKey());
      await page.fill('#prompt', 'a tiny robot watering plants');
      await page.fill('#steps', '3');
      await screenshotOf(page.locator('#generate-form'), 'phone-form');
      await page.tap('#generate');
      await waitForGallery(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const target = await page.locator('#generate').boundingBox();
      expect(target!.height).toBeGreaterThanOrEqual(44);
      await screenshot(page, 'phone-result');
    } finally {
      const problems = watched?.problems ?? [];
      await watched?.page.close();
      watched = null;
      await phone.close();
      expect(problems).toEqual([]);
    }
  });
});

import { AwsClient } from 'aws4fetch';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack } from '../support/stack-fixture';
import { launchBrowser, type TestBrowser } from './stack/browser';
import { openPlayground, screenshot, type WatchedPage, waitForGallery } from './stack/page-helpers';
import { channelAt, decodePng, pictureFor } from './stack/png';

// The whole local stack of `npm start` (infra/local): the edge under wrangler dev, an S3 server and a real runner
// process generating with the random-weight Kandinsky model (or KANDINSKY_WEIGHTS). Sizes and steps are tiny so each
// job takes seconds on the shared CPU.
let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: TestBrowser;
let watched: WatchedPage | null = null;

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchBrowser('desktop');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.cleanup();
});

afterEach(async () => {
  const problems = watched?.problems ?? [];
  await watched?.page.evaluate(() => localStorage.clear());
  await watched?.page.close();
  watched = null;
  expect(problems).toEqual([]);
});

/** Opens the page with the stack's key, tiny sampling settings, and a recorder of every status line shown. */
async function preparedPage(): Promise<WatchedPage> {
  watched = await openPlayground(browser.context, stack.edgeUrl);
  const { page } = watched;
  await page.fill('#api-key', await stack.createKey({ requests_per_minute: 1_000, max_running_jobs: 4 }));
  await page.fill('#steps', '3');
  await page.click('details.more summary');
  await page.fill('#prior-steps', '2');
  await page.evaluate(() => {
    const status = document.getElementById('status-text')!;
    const seen: string[] = [];
    (window as unknown as { statusHistory: string[] }).statusHistory = seen;
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  return watched;
}

function statusHistory(watchedPage: WatchedPage): Promise<string[]> {
  return watchedPage.page.evaluate(() => (window as unknown as { statusHistory: string[] }).statusHistory);
}

/** Reads an object of the stack's bucket (the runner's inputs), signing like any S3 client. */
async function readObject(key: string): Promise<Uint8Array> {
  const client = new AwsClient({
    accessKeyId: stack.s3.accessKeyId,
    secretAccessKey: stack.s3.secretAccessKey,
    region: 'us-east-1',
    service: 's3',
  });
  const response = await client.fetch(`${stack.s3.endpoint}/${stack.s3.bucket}/${key}`);
  if (!response.ok) throw new Error(`GET ${key}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

describe('web playground against the real local stack (runner with the random-weight model)', () => {
  test('text to image: progress steps reported by the runner, then the generated PNG', async () => {
    const page = await preparedPage();
    await page.page.fill('#prompt', 'un renard roux dans la neige');
    await page.page.selectOption('#size', '256x256');
    await page.page.fill('#seed', '77');
    await page.page.click('#generate');
    await waitForGallery(page.page, 1, 90_000);

    const history = await statusHistory(page);
    // Queued with its place in the queue ("Queued: next in line."), then steps.
    expect(history.some((line) => /^Queued: next in line/.test(line))).toBe(true);
    expect(history.some((line) => /^Step \d+ of \d+ \(\w+\)$/.test(line))).toBe(true);
    expect(history.at(-1)).toBe('Done: 1 image.');
    const size = await page.page
      .locator('#gallery img')
      .first()
      .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    expect(size).toEqual([256, 256]);
    await screenshot(page.page, 'real-stack-text2image');
  }, 120_000);

  test('inpainting with a drawn mask: the runner receives it and answers with an image of the upload size', async () => {
    const page = await preparedPage();
    await page.page.click('#tab-inpaint');
    await page.page.setInputFiles('#inpaint-image', {
      name: 'photo.png',
      mimeType: 'image/png',
      buffer: pictureFor(128, 128, 3),
    });
    await page.page.waitForFunction(() => (document.getElementById('mask-canvas') as HTMLCanvasElement).width === 128);
    const box = (await page.page.locator('#mask-canvas').boundingBox())!;
    await page.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await page.page.mouse.down();
    await page.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 8 });
    await page.page.mouse.up();
    await page.page.fill('#prompt', 'a red door');
    await page.page.click('#generate');
    await waitForGallery(page.page, 1, 90_000);

    const jobId = await page.page.locator('#gallery li').first().getAttribute('data-job-id');
    const key = await page.page.inputValue('#api-key');
    const job = (await (
      await fetch(`${stack.edgeUrl}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { task: string; input: { mask: string; width: number; height: number } };
    expect(job.task).toBe('inpaint');
    expect([job.input.width, job.input.height]).toEqual([128, 128]);
    const mask = decodePng(await readObject(job.input.mask));
    expect([mask.width, mask.height]).toEqual([128, 128]);
    expect(channelAt(mask, 64, 64)).toBe(255);
    expect(channelAt(mask, 10, 64)).toBe(0);
    const size = await page.page
      .locator('#gallery img')
      .first()
      .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    expect(size).toEqual([128, 128]);
    await screenshot(page.page, 'real-stack-inpaint');
  }, 120_000);
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page, Request } from 'playwright-core';

/** Screenshots land here (gitignored); CI keeps the folder as test artifacts. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** A page with everything that went wrong in it recorded: uncaught errors, console errors (CSP reports are among them). */
export interface WatchedPage {
  page: Page;
  problems: string[];
  requests: Request[];
}

/** Opens the playground and records page errors, console errors and every request the page makes. */
export async function openPlayground(context: BrowserContext, edgeUrl: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: Request[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Refused API calls are logged by Chromium too; the tests check how the page reports those. Failed page assets
    // are caught below, by response.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === new URL(edgeUrl).origin && !url.pathname.startsWith('/v1/') && response.status() >= 400) {
      problems.push(`asset ${url.pathname}: HTTP ${response.status()}`);
    }
  });
  page.on('request', (request) => requests.push(request));
  await page.goto(`${edgeUrl}/playground`);
  await page.waitForFunction(() => document.querySelectorAll('#fuse-list li').length === 2);
  return { page, problems, requests };
}

/**
 * Saves a full-page screenshot as `<name>.png` in the artifacts folder. A full-page capture resizes the viewport
 * for a moment and the page's scroll position can shift right after it, so tests about to click take
 * {@link screenshotOf} instead.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** Saves a screenshot of one element as `<name>.png` in the artifacts folder. */
export async function screenshotOf(locator: Locator, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await locator.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) });
}

/**
 * Waits until the gallery shows `count` images, all decoded. Fails fast with the page's own words when the form
 * reports an error or the job fails instead.
 */
export async function waitForGallery(page: Page, count = 1, timeoutMs = 20_000): Promise<void> {
  const outcome = await page
    .waitForFunction(
      (expected) => {
        const error = document.getElementById('form-error');
        if (error && !error.hidden) return `form error: ${error.textContent}`;
        const field = Array.from(document.querySelectorAll<HTMLElement>('.field-error')).find((slot) => !slot.hidden);
        if (field) return `${field.id}: ${field.textContent}`;
        const images = Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img'));
        return images.length >= expected && images.every((img) => img.complete && img.naturalWidth > 0) ? 'ok' : null;
      },
      count,
      { timeout: timeoutMs },
    )
    .catch(async (error: Error) => {
      const state = await page.evaluate(() => ({
        status: document.getElementById('status-text')?.textContent,
        images: Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img')).map((img) => ({
          src: img.src.slice(0, 120),
          complete: img.complete,
          width: img.naturalWidth,
        })),
      }));
      throw new Error(`${error.message}\npage state: ${JSON.stringify(state)}`);
    });
  const result = await outcome.jsonValue();
  if (result !== 'ok')
    throw new Error(`no result in the gallery: ${result}; status: ${await page.textContent('#status-text')}`);
}

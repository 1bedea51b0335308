import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium; the tests never let a tool download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A browser profile that exists only for one test run. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Desktop and phone profiles used for the screenshots. */
export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
} as const;

/**
 * Launches Chromium with a fresh user-data dir (Playwright takes it as the persistent-context folder, the
 * equivalent of `--user-data-dir`), deleted on close.
 */
export async function launchBrowser(profile: keyof typeof VIEWPORTS): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'kd-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    ...VIEWPORTS[profile],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

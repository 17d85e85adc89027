// Headless Chromium (the Debian package `chromium`) for the web page tests,
// and their screenshots.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findBinary } from '../../testbed/services/index.ts';
import { requireBinary } from '../helpers/services.ts';

/** A mocha `before` hook: fails naming the package `chromium` when it is missing (skips with PARKING_TEST_ALLOW_MISSING=1). */
export const requireChromium = () => requireBinary('chromium', 'chromium');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The system's Chromium (never a downloaded browser). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findBinary('chromium');
  if (!executablePath) throw new Error('chromium not found: install the Debian package \'chromium\' (apt-get install chromium)');
  return chromium.launch({ executablePath, args: ARGS });
}

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/**
 * Writes `artifacts/screenshots/<name>.png` and, with PARKING_UPDATE_SCREENSHOTS=1,
 * the copy the documentation shows, `docs/screenshots/<name>.png`.
 */
export async function saveScreenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const png = await page.screenshot({ fullPage: options.fullPage ?? false, animations: 'disabled' });
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(`${ARTIFACTS}${name}.png`, png);
  if (process.env.PARKING_UPDATE_SCREENSHOTS === '1') {
    await mkdir(DOCS, { recursive: true });
    await writeFile(`${DOCS}${name}.png`, png);
  }
}

/** Resolves once `selector`'s text is exactly `text`; on timeout says what it showed instead. */
export async function shows(page: Page, selector: string, text: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.locator(selector, { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first().waitFor({ timeout: timeoutMs });
  } catch (error) {
    const actual = await page.locator(selector).allTextContents().catch(() => []);
    throw new Error(`${selector} did not show '${text}' within ${timeoutMs} ms (it shows ${JSON.stringify(actual)}): ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Resolves once the page's `<body>` has `attribute` = `value`. */
export async function bodyHas(page: Page, attribute: string, value: string, timeoutMs = 10_000): Promise<void> {
  await page.locator(`body[${attribute}="${value}"]`).waitFor({ state: 'attached', timeout: timeoutMs });
}

/** Errors the page reported (uncaught exceptions, console errors). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

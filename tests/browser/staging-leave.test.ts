import { join } from 'node:path';

import type { Browser, Dialog, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasChromium, launchChromium } from '../support/browser';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';

// Chromium shows a beforeunload dialog only on a page the user has interacted with, so the files
// are chosen by clicking "Add files…", as a person would.
describe.skipIf(!hasChromium)('leaving the page while it stages files', () => {
  let app: WebApp;
  let browser: Browser;
  let page: Page;
  const held: Route[] = [];
  const dialogs: Dialog[] = [];

  beforeAll(async () => {
    app = await startWebApp();
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog);
      void dialog.dismiss();
    });
    // Copies to the host wait here until the test lets them go on.
    await page.route('**/staging/**', (route) => {
      held.push(route);
    });
    await page.goto(app.url);
    await page.getByText('Drop audio files or folders').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('asks before the page is left', async () => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Add files…' }).click();
    await (await chooser).setFiles(join(AUDIO_FIXTURES, 'id3v2.3.mp3'));
    await page.getByTestId('staging-status').waitFor();
    await expect.poll(() => held.length).toBe(1);

    // Dismissing the dialog cancels the reload, so this navigation never ends.
    void page.reload().catch(() => undefined);
    await expect.poll(() => dialogs.length).toBe(1);

    expect(dialogs[0]?.type()).toBe('beforeunload');
    expect(await page.getByTestId('staging-status').textContent()).toBe(
      'Reading files: 0 of 1. Keep this page open until they join the queue.',
    );
  });

  it('leaves without asking once the files are queued', async () => {
    await Promise.all(held.map((route) => route.continue()));
    await page.unroute('**/staging/**');
    await page.locator('[data-testid=upload-job][data-name="id3v2.3.mp3"]').waitFor();
    await page.getByTestId('staging-status').waitFor({ state: 'detached' });

    await page.reload();
    await page.getByText('Drop audio files or folders').waitFor();

    expect(dialogs).toHaveLength(1);
  });
});

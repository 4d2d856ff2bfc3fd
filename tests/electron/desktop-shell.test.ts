import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { _electron as electron } from 'playwright-core';
import type { ElectronApplication, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { electronBinary } from '../../scripts/electron-binary.mjs';

const binary = electronBinary();
if (binary === null) {
  console.warn(
    'Desktop shell tests skipped: no Electron binary is installed (npm ci skips its download). Run `npm run electron:install` where the network allows, then `npm test`.',
  );
}

describe.skipIf(binary === null)('desktop shell', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cratebox-electron-'));
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    app = await electron.launch({
      executablePath: binary ?? undefined,
      args: [join(import.meta.dirname, '..', '..'), '--data-dir', dataDir],
    });
    page = await app.firstWindow();
    await page.getByText('Cratebox').first().waitFor();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exposes only the typed bridge to the page', async () => {
    const shape = await page.evaluate(() => ({
      bridge: Object.keys(window.cratebox ?? {}).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(shape).toEqual({
      bridge: ['invoke', 'on', 'pathForFile'],
      require: 'undefined',
      process: 'undefined',
    });
  });

  it('answers the contract over Electron IPC', async () => {
    const reply = await page.evaluate(() => window.cratebox?.invoke('app.info', {}));
    expect(reply).toMatchObject({
      ok: true,
      result: { shell: 'electron', storage: 'embedded', nativeFilePicker: true },
    });
  });

  it('rejects keys outside tracks/ with a typed error', async () => {
    const reply = await page.evaluate(() =>
      window.cratebox?.invoke('player.url', { key: 'private/key.pem' }),
    );
    expect(reply).toMatchObject({ ok: false, error: { name: 'KeyOutsideTracks' } });
  });
});

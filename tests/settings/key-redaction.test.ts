import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { createAppServices } from '../../electron/main/app-services';
import type { AppServices } from '../../electron/main/app-services';
import { dispatch } from '../../electron/main/ipc/dispatch';
import type { Handlers } from '../../electron/main/ipc/dispatch';
import { createFileLogger, createLogger } from '../../electron/main/log';
import type { Logger } from '../../electron/main/log';
import {
  createSettingsStore,
  openConfSettingsFile,
} from '../../electron/main/settings/stored-settings';
import type { Reply } from '../../shared/contract';
import { INSPECT_WORKER_SOURCE } from '../support/inspect-workers';
import { generateTestKeyPair } from '../support/key-pairs';

// A PEM key pasted where a file path belongs must not reach the window or the log: neither the
// armour with its base64 lines nor any line of the base64 alone.
const { privateKeyPem } = generateTestKeyPair('K2REDACTIONTEST');
const BODY_LINES = privateKeyPem.split('\n').filter((line) => line !== '' && !line.startsWith('-'));
const folder = mkdtempSync(join(tmpdir(), 'cratebox-redaction-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Logger that writes JSON lines to memory through the product's redaction. */
function recordingLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line) => lines.push(line) },
  });
  return { logger, text: () => lines.join('') };
}

function expectNoKeyMaterial(text: string): void {
  expect(text).not.toContain('BEGIN PRIVATE KEY');
  for (const line of BODY_LINES) {
    expect(text).not.toContain(line);
  }
}

function cloudfrontUpdate(privateKeyPaths: string[]): Record<string, unknown> {
  return {
    delivery: {
      cloudfront: {
        domain: 'd111111abcdef8.cloudfront.net',
        keyPairs: privateKeyPaths.map((privateKeyPath, index) => ({
          id: `K2REDACTION${index}`,
          privateKeyPath,
        })),
        activeKeyPairId: 'K2REDACTION0',
        policy: 'canned',
        resource: null,
        ipRange: null,
      },
    },
  };
}

describe('key material in logs and replies', () => {
  let services: AppServices | null = null;

  afterEach(async () => {
    await services?.close();
    services = null;
  });

  async function start(logger: Logger, env: Record<string, string> = {}): Promise<AppServices> {
    const dataDir = mkdtempSync(join(folder, 'data-'));
    services = await createAppServices({
      dataDir,
      shell: 'web',
      version: 'test',
      env,
      settings: createSettingsStore(openConfSettingsFile(dataDir)),
      secrets: { encrypt: null, decrypt: null },
      logger,
      inspectWorker: INSPECT_WORKER_SOURCE,
    });
    return services;
  }

  it.each([
    ['PEM text', [privateKeyPem]],
    ['PEM text with \\n escapes', [privateKeyPem.replace(/\n/g, '\\n')]],
    ['a key body without armour', [BODY_LINES.join('\n')]],
    ['PEM text as the next key', ['/keys/cratebox-private.pem', privateKeyPem]],
  ])('settings.update with %s as a key file path', async (_case, paths) => {
    const { logger, text } = recordingLogger();
    const { handlers } = await start(logger);

    const reply = await dispatch(handlers, 'settings.update', cloudfrontUpdate(paths), logger);

    expect(reply.ok).toBe(false);
    expect(JSON.stringify(reply)).toContain(
      'this field takes the path of the key file, not the key itself: save the key to a file (chmod 600) and enter its path',
    );
    expectNoKeyMaterial(JSON.stringify(reply));
    expectNoKeyMaterial(text());
  });

  it('CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE holding PEM text', async () => {
    const { logger, text } = recordingLogger();
    const { handlers } = await start(logger, {
      CRATEBOX_CLOUDFRONT_DOMAIN: 'd111111abcdef8.cloudfront.net',
      CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K2REDACTIONTEST',
      CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE: privateKeyPem,
    });

    const reply = (await dispatch(handlers, 'app.info', {}, logger)) as Reply<{
      deliveryProblem: string | null;
    }>;

    expect(reply.ok && reply.result.deliveryProblem).toBe(
      'the private key file of CloudFront key pair K2REDACTIONTEST in CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE is key text, not the path of a file; set CRATEBOX_CLOUDFRONT_PRIVATE_KEY to the PEM text instead, or save the key to a file (chmod 600) and set CRATEBOX_CLOUDFRONT_PRIVATE_KEY_FILE to its path',
    );
    expect(text()).toContain('CloudFront private key is invalid');
    expectNoKeyMaterial(text());
  });

  it('CRATEBOX_CLOUDFRONT_PRIVATE_KEY holding a damaged key', async () => {
    const { logger, text } = recordingLogger();
    const damaged = privateKeyPem.replace(BODY_LINES[3] ?? '', 'not base64 at all!');
    const { handlers } = await start(logger, {
      CRATEBOX_CLOUDFRONT_DOMAIN: 'd111111abcdef8.cloudfront.net',
      CRATEBOX_CLOUDFRONT_KEY_PAIR_ID: 'K2REDACTIONTEST',
      CRATEBOX_CLOUDFRONT_PRIVATE_KEY: damaged,
    });

    const reply = await dispatch(handlers, 'app.info', {}, logger);

    expect(JSON.stringify(reply)).toContain('is not a readable PEM private key');
    expectNoKeyMaterial(JSON.stringify(reply));
    expectNoKeyMaterial(text());
  });

  it('an unexpected error whose message holds a key', async () => {
    const { logger, text } = recordingLogger();
    const handlers = {
      'settings.get': async () => {
        throw new Error(`cannot open ${privateKeyPem}`);
      },
    } as unknown as Handlers;

    const reply = await dispatch(handlers, 'settings.get', {}, logger);

    expect(reply).toEqual({
      ok: false,
      error: {
        name: 'Internal',
        message: 'settings.get failed: cannot open [redacted key material]\n',
      },
    });
    expect(text()).toContain('[redacted key material]');
    expectNoKeyMaterial(text());
  });

  it('the log file and terminal lines of web mode and the CLI', () => {
    const file = join(folder, 'logs', 'web.log');
    const terminal: string[] = [];
    const logger = createFileLogger({ file, onProblem: (line) => terminal.push(line) });

    logger.warn({ value: privateKeyPem }, `cannot use ${privateKeyPem}`);

    const written = readFileSync(file, 'utf8');
    expect(written).toContain('[redacted key material]');
    expectNoKeyMaterial(written);
    expectNoKeyMaterial(terminal.join('\n'));
  });
});

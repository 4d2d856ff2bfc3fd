import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startOtherStorage } from '../support/s3-servers';
import type { LocalS3Server } from '../support/s3-servers';
import { AUDIO_FIXTURES } from '../support/fixtures';
import { typeScriptWorker } from '../support/inspect-workers';
import { waitUntil } from '../support/wait';
import { startWebApp } from '../support/web-app';
import type { WebApp } from '../support/web-app';
import type { UploadJobView } from '../../shared/uploads';
import { QUEUED_MARKER, sweepStaging } from '../../electron/main/web-host/staging-sweep';
import type { StagingClaims } from '../../electron/main/web-host/staging-sweep';

const HOUR_MS = 60 * 60 * 1000;
const AUDIO = readFileSync(join(AUDIO_FIXTURES, 'id3v2.3.mp3'));
/** Inspection worker that holds each file at 45% read while a hold file exists. */
const HELD_WORKER = typeScriptWorker(new URL('../support/held-inspect-worker.ts', import.meta.url));
const OTHER_AUDIO = readFileSync(join(AUDIO_FIXTURES, 'he_44khz.mp3'));

/** Sends a file to the staging folder as the page does; returns the staged path. */
function stage(app: WebApp, batch: string, index: number, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${app.url}staging/${batch}/${index}`,
      { method: 'PUT', headers: { origin: app.url.replace(/\/$/, '') } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          response.statusCode === 201
            ? resolve((JSON.parse(text) as { path: string }).path)
            : reject(new Error(`staging answered ${response.statusCode}: ${text}`)),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Uploads one recording as `name`, then stages and adds a different one under the same name,
 * which stops as a conflict and keeps its staged file for Replace; returns that file's path.
 */
async function stageConflict(app: WebApp, name: string): Promise<string> {
  const first = await stage(app, `${name}-first`, 0, AUDIO);
  const stored = await app.staging.handlers['uploads.add']({
    sources: [{ path: first, relativePath: name }],
  });
  await app.services.engine().whenBatchDone(stored.batchId);

  const path = await stage(app, `${name}-second`, 0, OTHER_AUDIO);
  const { batchId } = await app.staging.handlers['uploads.add']({
    sources: [{ path, relativePath: name }],
  });
  await app.services.engine().whenBatchDone(batchId);
  return path;
}

function filesIn(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder) : [];
}

describe('staging folder cleanup', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cratebox-staging-'));
  const stagingDir = join(dataDir, 'staging');
  let clock = Date.now();
  let app: WebApp;
  let server: LocalS3Server;

  const holdFile = join(dataDir, 'hold-inspection');
  const open = (): Promise<WebApp> =>
    startWebApp(
      {},
      {
        dataDir,
        inspectWorker: HELD_WORKER,
        staging: { now: () => clock, sweepIntervalMs: HOUR_MS, abandonAfterMs: HOUR_MS },
      },
    );

  beforeAll(async () => {
    server = await startOtherStorage(join(dataDir, 'other-store'));
    // The held worker reads it; workers copy the environment when they start.
    process.env.CRATEBOX_TEST_HOLD_FILE = holdFile;
    app = await open();
  });

  afterEach(() => {
    clock = Date.now();
  });

  afterAll(async () => {
    await app?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps files not yet queued', async () => {
    const path = await stage(app, 'waiting', 0, AUDIO);

    await app.staging.sweep();

    expect(existsSync(path)).toBe(true);
  });

  it('removes abandoned batches', async () => {
    const path = await stage(app, 'abandoned', 0, AUDIO);
    await stage(app, 'abandoned', 1, AUDIO);

    clock += 2 * HOUR_MS;
    await app.staging.sweep();

    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(stagingDir, 'abandoned'))).toBe(false);
  });

  it('removes a broken-off upload', async () => {
    const outgoing = request(`${app.url}staging/broken/0`, {
      method: 'PUT',
      headers: { origin: app.url.replace(/\/$/, ''), 'content-length': String(AUDIO.length) },
    });
    outgoing.on('error', () => undefined);
    outgoing.write(AUDIO.subarray(0, 4096));
    await waitUntil(() => filesIn(join(stagingDir, 'broken')).length === 1);

    outgoing.destroy();

    await waitUntil(() => filesIn(join(stagingDir, 'broken')).length === 0);
  });

  it('removes what a reloaded page staged', async () => {
    // The page staged one file and was reloaded while it sent the second.
    const staged = await stage(app, 'reloaded', 0, AUDIO);
    const outgoing = request(`${app.url}staging/reloaded/1`, {
      method: 'PUT',
      headers: { origin: app.url.replace(/\/$/, ''), 'content-length': String(AUDIO.length) },
    });
    outgoing.on('error', () => undefined);
    outgoing.write(AUDIO.subarray(0, 4096));
    await waitUntil(() => filesIn(join(stagingDir, 'reloaded')).length === 2);
    outgoing.destroy();
    await waitUntil(() => filesIn(join(stagingDir, 'reloaded')).length === 1);

    await app.staging.sweep();
    expect(existsSync(staged)).toBe(true);
    clock += 2 * HOUR_MS;
    await app.staging.sweep();

    expect(existsSync(join(stagingDir, 'reloaded'))).toBe(false);
  });

  it('deletes files of done jobs', async () => {
    const path = await stage(app, 'uploaded', 0, AUDIO);

    const { batchId } = await app.staging.handlers['uploads.add']({
      sources: [{ path, relativePath: 'Home.mp3' }],
    });
    const report = await app.services.engine().whenBatchDone(batchId);
    await app.staging.sweep();

    expect(report.entries.map((entry) => entry.outcome)).toEqual(['uploaded']);
    expect(existsSync(path)).toBe(false);
  });

  it('keeps conflicting job files until discarded', async () => {
    const path = await stageConflict(app, 'Taken.mp3');

    clock += 2 * HOUR_MS;
    await app.staging.sweep();
    expect(existsSync(path)).toBe(true);

    const job = app.services
      .engine()
      .snapshot()
      .jobs.findLast((view) => view.name === 'Taken.mp3');
    expect(job?.state).toBe('conflict');
    await app.staging.handlers['uploads.discard']({ id: job?.id ?? '' });
    await app.staging.sweep();
    expect(existsSync(path)).toBe(false);
  });

  it('deletes a file queued before a restart', async () => {
    writeFileSync(holdFile, '');
    const path = await stage(app, 'restarted', 0, AUDIO);
    const { batchId } = await app.staging.handlers['uploads.add']({
      sources: [{ path, relativePath: 'Across.mp3' }],
    });
    const jobOf = (): UploadJobView | undefined =>
      app.services
        .engine()
        .snapshot()
        .jobs.find((view) => view.batchId === batchId);
    await waitUntil(() => jobOf()?.bytesRead !== null && jobOf()?.bytesRead !== undefined);
    await app.close();

    rmSync(holdFile);
    app = await open();

    // No sweep is started here: the batch's report starts one.
    await waitUntil(() => !existsSync(path));
    expect(jobOf()?.state).toBe('done');
    expect(existsSync(join(stagingDir, 'restarted'))).toBe(false);
  });

  it('keeps files of other storage sessions', async () => {
    const path = await stageConflict(app, 'Taken Elsewhere.mp3');
    await app.staging.handlers['settings.update']({
      storage: {
        mode: 'aws',
        bucket: 'other-bucket',
        region: 'us-east-1',
        endpoint: server.endpoint,
        forcePathStyle: true,
      },
    });
    await app.close();

    clock += 2 * HOUR_MS;
    app = await open();
    await app.staging.sweep();
    expect(existsSync(path)).toBe(true);

    await app.staging.handlers['settings.update']({ storage: { mode: 'embedded' } });
    const queue = await app.staging.handlers['uploads.list']({});
    const job = queue.jobs.findLast((view) => view.name === 'Taken Elsewhere.mp3');
    expect(job?.state).toBe('conflict');
    await app.staging.handlers['uploads.discard']({ id: job?.id ?? '' });
    await app.staging.sweep();
    expect(existsSync(path)).toBe(false);
  });
});

describe('sweepStaging after a restart', () => {
  const root = mkdtempSync(join(tmpdir(), 'cratebox-sweep-'));
  const noClaims = (): StagingClaims => ({ queued: new Map(), adding: new Map(), sweep: 0 });
  const sweepOnce = (claims: StagingClaims, inUse: string[] = []): Promise<void> =>
    sweepStaging({ root, claims, pathsInUse: async () => new Set(inUse), abandonedBefore: 0 });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function stagedFile(batch: string, queued: boolean): string {
    mkdirSync(join(root, batch));
    const path = join(root, batch, '5c0f9a2e');
    writeFileSync(path, AUDIO);
    if (queued) {
      writeFileSync(join(root, batch, QUEUED_MARKER), '');
    }
    return path;
  }

  it('deletes a marked batch no job reads', async () => {
    stagedFile('marked', true);

    await sweepOnce(noClaims());

    expect(existsSync(join(root, 'marked'))).toBe(false);
  });

  it('keeps a marked batch a job reads', async () => {
    const path = stagedFile('marked-in-use', true);

    await sweepOnce(noClaims(), [path]);

    expect(existsSync(path)).toBe(true);
  });

  it('keeps an unmarked recent batch', async () => {
    const path = stagedFile('unmarked', false);

    await sweepOnce(noClaims());

    expect(existsSync(path)).toBe(true);
  });
});

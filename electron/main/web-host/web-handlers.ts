import { readdir, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

import { CrateboxError } from '../../../shared/errors';
import type { Handlers } from '../ipc/dispatch';
import type { Logger } from '../log';
import type { UploadEngine } from '../upload/engine-types';

/**
 * Adapts the handlers to web mode: a browser page may queue only files it staged through the
 * host, never an arbitrary local path. Staged copies are deleted once no job can read them again:
 * after a batch ends and after finished jobs are cleared, keeping those a retry still needs.
 * Call it before the host accepts requests: its first sweep removes every unused staged file,
 * which is safe only while no page is staging.
 */
export function restrictToStaging(
  handlers: Handlers,
  stagingDir: string,
  engine: () => UploadEngine,
  logger: Logger,
): Handlers {
  const root = resolve(stagingDir);
  // Files a page has staged but not queued yet must survive a sweep, so later sweeps consider
  // only files that were queued.
  const queued = new Set<string>();
  const sweep = (candidates: 'all' | Set<string>): void => {
    void sweepStaging(root, engine(), candidates).catch((error: unknown) => {
      logger.warn({ err: error, stagingDir: root }, 'removing staged browser files failed');
    });
  };
  sweep('all');

  return {
    ...handlers,
    'uploads.add': async (request) => {
      for (const source of request.sources) {
        const inside = relative(root, resolve(source.path));
        if (inside === '' || inside.startsWith('..') || inside.startsWith(sep)) {
          throw new CrateboxError(
            'InvalidRequest',
            `web mode uploads only files sent through the page, not ${source.path}`,
          );
        }
      }

      const added = await handlers['uploads.add'](request);
      for (const source of request.sources) {
        queued.add(resolve(source.path));
      }
      const sweepQueued = (): void => sweep(queued);
      void engine().whenBatchDone(added.batchId).then(sweepQueued, sweepQueued);
      return added;
    },
    'uploads.clearFinished': async (request) => {
      const snapshot = await handlers['uploads.clearFinished'](request);
      sweep(queued);
      return snapshot;
    },
  };
}

/**
 * Deletes staged files among `candidates` that no job may read again, and batch folders left
 * empty. Deleted candidates leave the set.
 */
async function sweepStaging(
  root: string,
  engine: UploadEngine,
  candidates: 'all' | Set<string>,
): Promise<void> {
  const inUse = await engine.pathsInUse();
  for (const batch of await readdir(root, { withFileTypes: true })) {
    if (!batch.isDirectory()) {
      continue;
    }
    const batchDir = join(root, batch.name);
    const files = (await readdir(batchDir)).map((file) => join(batchDir, file));
    const stale = files.filter(
      (path) => !inUse.has(path) && (candidates === 'all' || candidates.has(path)),
    );
    await Promise.all(stale.map((path) => rm(path, { force: true })));
    if (candidates !== 'all') {
      stale.forEach((path) => candidates.delete(path));
    }
    if (stale.length === files.length) {
      await rm(batchDir, { recursive: true, force: true });
    }
  }
}

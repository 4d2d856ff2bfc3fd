import { rm } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

import { CrateboxError } from '../../../shared/errors';
import type { Handlers } from '../ipc/dispatch';
import type { UploadEngine } from '../upload/engine-types';

/**
 * Adapts the handlers to web mode: a browser page may queue only files it staged through the
 * host, never an arbitrary local path, and staged copies are deleted once their batch is done.
 */
export function restrictToStaging(
  handlers: Handlers,
  stagingDir: string,
  engine: () => UploadEngine,
): Handlers {
  const root = resolve(stagingDir);
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
      const batchDirs = new Set(request.sources.map((source) => dirname(resolve(source.path))));
      void engine()
        .whenBatchDone(added.batchId)
        .finally(() =>
          Promise.all([...batchDirs].map((dir) => rm(dir, { recursive: true, force: true }))),
        );
      return added;
    },
  };
}

import { createInspectPool } from '../../electron/main/upload/inspect/inspect-pool';
import type { InspectPool } from '../../electron/main/upload/inspect/inspect-pool';

/**
 * Returns a `data:` module URL for a worker thread that registers tsx and then imports the
 * TypeScript module `entry`. Node 20.20 ignores `--import tsx` in a worker's `execArgv` for the
 * worker's own entry module, which then fails with ERR_UNKNOWN_FILE_EXTENSION, so the loader is
 * registered from inside the worker instead.
 */
export function typeScriptWorker(entry: URL): URL {
  const api = import.meta.resolve('tsx/esm/api');
  const code = [
    `const { register } = await import(${JSON.stringify(api)});`,
    'register();',
    `await import(${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** Worker script that runs the inspection worker from its TypeScript source. */
export const INSPECT_WORKER_SOURCE = typeScriptWorker(
  new URL('../../electron/main/upload/inspect/inspect-worker.ts', import.meta.url),
);

/** Creates an inspection pool whose workers run the TypeScript source. */
export function sourceInspectPool(size?: number): InspectPool {
  return createInspectPool({ script: INSPECT_WORKER_SOURCE, size });
}

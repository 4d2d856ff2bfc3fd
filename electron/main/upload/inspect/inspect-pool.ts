import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

import type { Level, LogFn, Logger } from 'pino';

import { deserializeError } from './inspect-worker-protocol.js';
import type {
  PoolMessage,
  WorkerInspectOptions,
  WorkerMessage,
} from './inspect-worker-protocol.js';
import type { Inspection, InspectOptions } from './types.js';

/** Options of {@link createInspectPool}. */
export interface InspectPoolOptions {
  /**
   * Worker script: `inspect-worker.js` of the electron-vite build, or any module that calls
   * `serveInspections`, such as a loader of the TypeScript source in tests.
   */
  script: string | URL;
  /**
   * Number of worker threads; when absent, `os.availableParallelism()` minus one, which leaves a
   * core to the calling thread, and at least 2, so that one long inspection does not hold up
   * the others.
   */
  size?: number;
  /** Node options of the workers; those of this thread when absent. */
  execArgv?: string[];
}

/** Worker threads that inspect files off the calling thread. */
export interface InspectPool {
  /**
   * Inspects a file in a worker, with the contract of `inspectFile`: it rejects with the
   * signal's reason when aborted, and with the worker's error, name and message kept, when the
   * inspection fails. Log records go to `options.logger`. Jobs wait for a free worker, those of
   * higher `options.priority` first, then in the order they came.
   */
  inspect(path: string, options: InspectOptions): Promise<Inspection>;
  /**
   * Rejects every waiting and running job, aborts the running ones and gives the workers up to
   * 5 s to end by themselves, then terminates the rest.
   */
  close(): Promise<void>;
}

/** Time that close() gives workers to end by themselves before it terminates them. */
const CLOSE_GRACE_MS = 5_000;

interface Job {
  id: number;
  path: string;
  priority: number;
  options: WorkerInspectOptions;
  logger: Logger | undefined;
  /** Relays the worker's progress until the job settles. */
  onProgress(bytesRead: number): void;
  /** Settles the caller's promise; later calls do nothing. */
  settle(outcome: { inspection: Inspection } | { error: unknown }): void;
  worker: PoolWorker | null;
}

interface PoolWorker {
  thread: Worker;
  job: Job | null;
  /** Uncaught error of the thread, reported before it exits. */
  failure: Error | null;
  /** Resolves when the thread has exited. */
  exited: Promise<void>;
}

/**
 * Creates a pool of `node:worker_threads` workers that run `inspectFile`, so that hashing and
 * decoding keep the calling thread (the Electron main process) free for IPC. Workers start when
 * a job needs one and run one job at a time. A worker that crashes fails its job with a message
 * that names the file, and the next job starts a new worker.
 */
export function createInspectPool(options: InspectPoolOptions): InspectPool {
  const size = Math.max(1, Math.floor(options.size ?? Math.max(2, availableParallelism() - 1)));
  const workers = new Set<PoolWorker>();
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;

  function inspect(path: string, inspectOptions: InspectOptions): Promise<Inspection> {
    const { signal, logger, onProgress, priority, ...rest } = inspectOptions;
    if (closed) {
      return Promise.reject(new Error(`cannot inspect ${path}: the inspection pool is closed`));
    }
    if (signal?.aborted === true) {
      return Promise.reject(signal.reason);
    }

    return new Promise<Inspection>((resolve, reject) => {
      let settled = false;
      const job: Job = {
        id: nextId++,
        path,
        priority: priority ?? 0,
        options: {
          ...rest,
          logLevel: logger?.level ?? 'silent',
          reportProgress: onProgress !== undefined,
        },
        logger,
        // An aborted job's worker may still be reading; the caller has moved on by then.
        onProgress: (bytesRead) => {
          if (!settled) {
            onProgress?.(bytesRead);
          }
        },
        worker: null,
        settle(outcome): void {
          if (settled) {
            return;
          }
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          if ('inspection' in outcome) {
            resolve(outcome.inspection);
          } else {
            reject(outcome.error);
          }
        },
      };
      const onAbort = (): void => abort(job, signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const after = waiting.findIndex((queued) => queued.priority < job.priority);
      waiting.splice(after < 0 ? waiting.length : after, 0, job);
      dispatch();
    });
  }

  // The caller's promise rejects at once. A running worker is sent an abort message and stays busy
  // until it reports the job's end, so that an aborted job never runs beside the next one.
  function abort(job: Job, reason: unknown): void {
    job.settle({ error: reason });
    if (job.worker === null) {
      const index = waiting.indexOf(job);
      if (index >= 0) {
        waiting.splice(index, 1);
      }
    } else {
      post(job.worker, { kind: 'abort', id: job.id });
    }
  }

  function dispatch(): void {
    while (!closed && waiting.length > 0) {
      const worker = idleWorker() ?? (workers.size < size ? startWorker() : null);
      if (worker === null) {
        return;
      }
      const job = waiting.shift() as Job;
      job.worker = worker;
      worker.job = job;
      worker.thread.ref();
      post(worker, { kind: 'inspect', id: job.id, path: job.path, options: job.options });
    }
  }

  function idleWorker(): PoolWorker | null {
    for (const worker of workers) {
      if (worker.job === null) {
        return worker;
      }
    }
    return null;
  }

  function startWorker(): PoolWorker {
    const thread = new Worker(options.script, { execArgv: options.execArgv });
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    const worker: PoolWorker = { thread, job: null, failure: null, exited };
    thread.on('message', (message: WorkerMessage) => receive(worker, message));
    thread.on('error', (error) => {
      worker.failure = error;
    });
    thread.on('exit', (code) => onExit(worker, code));
    workers.add(worker);
    return worker;
  }

  function receive(worker: PoolWorker, message: WorkerMessage): void {
    const job = worker.job;
    if (job === null || message.id !== job.id) {
      return;
    }
    if (message.kind === 'log') {
      relayLog(job.logger, message.line);
      return;
    }
    if (message.kind === 'progress') {
      job.onProgress(message.bytesRead);
      return;
    }

    job.settle(
      message.kind === 'done'
        ? { inspection: message.inspection }
        : { error: deserializeError(message.error) },
    );
    worker.job = null;
    // An idle worker does not keep the process alive.
    worker.thread.unref();
    dispatch();
  }

  function onExit(worker: PoolWorker, code: number): void {
    workers.delete(worker);
    const job = worker.job;
    if (job !== null && !closed) {
      const cause = worker.failure?.message ?? `exit code ${code}`;
      job.settle({
        error: new Error(
          `inspecting ${job.path} failed: the inspection worker stopped (${cause}). Retry the file. If it fails again, the file may trigger a bug in a decoder`,
          { cause: worker.failure ?? undefined },
        ),
      });
    }
    dispatch();
  }

  function post(worker: PoolWorker, message: PoolMessage): void {
    worker.thread.postMessage(message);
  }

  return {
    inspect,
    async close(): Promise<void> {
      closed = true;
      for (const job of waiting.splice(0)) {
        job.settle({ error: new Error(`cannot inspect ${job.path}: the inspection pool closed`) });
      }

      // Running jobs are aborted and every worker is asked to end by itself, so that a decoder
      // kills its ffmpeg child and the thread's event loop reaps it. terminate() would leave the
      // child running, or as a zombie process.
      const running = [...workers];
      for (const worker of running) {
        const { job } = worker;
        if (job !== null) {
          const error = new Error(`inspecting ${job.path} stopped: the inspection pool closed`);
          job.settle({ error });
          post(worker, { kind: 'abort', id: job.id });
        }
        post(worker, { kind: 'close' });
      }

      const grace = new AbortController();
      const timeout = sleep(CLOSE_GRACE_MS, undefined, { signal: grace.signal });
      const ended = Promise.all(running.map((worker) => worker.exited));
      await Promise.race([ended, timeout.catch(() => undefined)]);
      grace.abort();
      await Promise.all(running.map((worker) => worker.thread.terminate()));
    },
  };
}

/** Logs a worker's pino record again through the caller's logger, at the same level. */
function relayLog(logger: Logger | undefined, line: string): void {
  if (logger === undefined) {
    return;
  }
  const { level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
  const label = logger.levels.labels[Number(level)];
  if (label === undefined || !logger.isLevelEnabled(label)) {
    return;
  }
  const log: LogFn = logger[label as Level].bind(logger);
  log(fields, typeof msg === 'string' ? msg : '');
}

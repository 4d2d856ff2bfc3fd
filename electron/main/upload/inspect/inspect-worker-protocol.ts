import pino from 'pino';
import type { Logger } from 'pino';

import type { Inspection, InspectOptions } from './types.js';

/**
 * Options of one inspection as sent to a worker. A signal, a logger and a progress callback
 * cannot be sent, so they stay with the pool, which relays aborts, log records and progress.
 * The priority orders the pool's queue and stays with it too.
 */
export interface WorkerInspectOptions extends Omit<
  InspectOptions,
  'signal' | 'logger' | 'onProgress' | 'priority'
> {
  /** Level of the caller's logger; the worker sends back only records at this level or above. */
  logLevel: string;
  /** Whether the caller wants progress messages. */
  reportProgress: boolean;
}

/** Message from the pool to a worker. */
export type PoolMessage =
  | { kind: 'inspect'; id: number; path: string; options: WorkerInspectOptions }
  | { kind: 'abort'; id: number }
  /** Stop taking messages, so the thread ends once its child processes have exited. */
  | { kind: 'close' };

/** An error as it crosses from a worker: enough to rebuild one with the same name and message. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Node's error code, such as `ENOENT`, when the error has one. */
  code?: string;
}

/** Message from a worker to the pool. */
export type WorkerMessage =
  | { kind: 'done'; id: number; inspection: Inspection }
  | { kind: 'failed'; id: number; error: SerializedError }
  /** A pino JSON line that inspectFile logged for the job. */
  | { kind: 'log'; id: number; line: string }
  /** Bytes of the file read so far. */
  | { kind: 'progress'; id: number; bytesRead: number };

/** The side of a worker's message port that {@link serveInspections} uses. */
export interface WorkerPort {
  on(event: 'message', listener: (message: PoolMessage) => void): unknown;
  postMessage(message: WorkerMessage): void;
  close(): void;
}

/**
 * Runs the inspections that the pool sends to this worker, any number at once, and posts each
 * result, error and log record back with the job's id. An abort message aborts the signal that
 * the job's `inspect` call got. A close message closes the port: the thread then ends by itself,
 * after the event loop has reaped the ffmpeg children that aborted jobs killed.
 */
export function serveInspections(
  port: WorkerPort,
  inspect: (path: string, options: InspectOptions) => Promise<Inspection>,
): void {
  const running = new Map<number, AbortController>();

  port.on('message', (message) => {
    if (message.kind === 'close') {
      port.close();
      return;
    }
    if (message.kind === 'abort') {
      running.get(message.id)?.abort();
      return;
    }

    const { id, path } = message;
    const { logLevel, reportProgress, ...options } = message.options;
    const controller = new AbortController();
    running.set(id, controller);
    const logger = recordLogger(logLevel, (line) => port.postMessage({ kind: 'log', id, line }));
    const onProgress = reportProgress
      ? (bytesRead: number): void => port.postMessage({ kind: 'progress', id, bytesRead })
      : undefined;
    inspect(path, { ...options, signal: controller.signal, logger, onProgress })
      .then(
        (inspection) => port.postMessage({ kind: 'done', id, inspection }),
        (error: unknown) => port.postMessage({ kind: 'failed', id, error: serializeError(error) }),
      )
      .finally(() => running.delete(id));
  });
}

/** Rebuilds an error posted by a worker, keeping its name, message, stack and code. */
export function deserializeError(serialized: SerializedError): Error {
  const error: Error & { code?: string } = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) {
    error.stack = serialized.stack;
  }
  if (serialized.code !== undefined) {
    error.code = serialized.code;
  }
  return error;
}

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error) };
  }
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return { name: error.name, message: error.message, stack: error.stack, code };
}

// Lines carry no time, pid or host: the caller's logger adds its own when it logs them again.
function recordLogger(level: string, write: (line: string) => void): Logger {
  return pino({ level, base: null, timestamp: false }, { write });
}

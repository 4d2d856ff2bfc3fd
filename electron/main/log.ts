import { renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import pretty from 'pino-pretty';

import { redactKeyMaterial } from '../../shared/key-material';
import { ProblemLines } from './log-lines';

export type { Logger };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** Where log lines go; standard error when absent, readable lines when it is a terminal. */
  destination?: DestinationStream;
}

/** Options of {@link createFileLogger}. */
export interface FileLoggerOptions {
  /** File that receives every line at `level` or above, as JSON. It is created if missing. */
  file: string;
  /** Lowest level written to the file; CRATEBOX_LOG_LEVEL or `info` when absent. */
  level?: string;
  /** Receives each warning and error as one short line, for the terminal. */
  onProblem: (line: string) => void;
}

/** Size at which a log file is renamed to `<name>.1` when a process opens it, in bytes. */
const ROTATE_AT_BYTES = 10 * 1024 * 1024;

// Field names that could carry secrets are replaced before a line is written, as a second line
// of defence: code logs keys and paths, never signed URLs or key material.
const REDACTED_PATHS = [
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'privateKey',
  '*.privateKey',
  'privateKeyPem',
  '*.privateKeyPem',
  'signedUrl',
  '*.signedUrl',
  'url',
  '*.url',
];

/**
 * Creates the process logger: JSON lines (or readable ones on a terminal), with secrets redacted
 * by field name and PEM keys redacted wherever they appear in a line, messages and stacks included.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.CRATEBOX_LOG_LEVEL ?? 'info';
  const destination = options.destination ?? defaultDestination();
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: redactKeyMaterial },
    },
    destination,
  );
}

/**
 * Creates the logger of web mode and the CLI. Every line goes to a JSON log file, and warnings and
 * errors also go to `onProblem` as short lines, so a terminal shows no JSON or stack traces. The
 * file is renamed to `<name>.1` first when it has grown past 10 MiB.
 */
export function createFileLogger(options: FileLoggerOptions): Logger {
  const level = options.level ?? process.env.CRATEBOX_LOG_LEVEL ?? 'info';
  rotateLogFile(options.file);
  const file = pino.destination({ dest: options.file, append: true, mkdir: true, sync: true });
  const problems = new ProblemLines(options.onProblem, options.file);
  const terminal = { write: (line: string): void => problems.write(line) };
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: redactKeyMaterial },
    },
    pino.multistream([
      { level: level as pino.Level, stream: file },
      { level: 'warn', stream: terminal },
    ]),
  );
}

/** Returns the log file of a shell (`web` or `cli`) in a data folder. */
export function logFilePath(dataDir: string, shell: 'web' | 'cli'): string {
  return join(dataDir, 'logs', `${shell}.log`);
}

/** Logger that drops every line, for callers that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function defaultDestination(): DestinationStream {
  if (!process.stderr.isTTY) {
    return pino.destination(2);
  }
  return pretty({ destination: 2, sync: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' });
}

function rotateLogFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size > ROTATE_AT_BYTES) {
    renameSync(file, `${file}.1`);
  }
}

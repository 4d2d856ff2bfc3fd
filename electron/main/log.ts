import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import pretty from 'pino-pretty';

import { redactKeyMaterial } from '../../shared/key-material';

export type { Logger };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** Where log lines go; standard error when absent, readable lines when it is a terminal. */
  destination?: DestinationStream;
}

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

import pino from 'pino';
import type { Logger } from 'pino';

/** Parsed pino line. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Logger that keeps its lines in memory, plus their raw text for secret checks. */
export interface MemoryLogger {
  logger: Logger;
  lines: LogLine[];
  /** Every line as written, joined by newlines. */
  text(): string;
  /** Lines at `level` (pino numbers: 20 debug, 30 info, 40 warn, 50 error). */
  at(level: number): LogLine[];
}

/** Creates a debug-level logger that writes to memory. */
export function createMemoryLogger(): MemoryLogger {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string): void {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  );
  return {
    logger,
    lines,
    text: () => raw.join('\n'),
    at: (level) => lines.filter((line) => line.level === level),
  };
}

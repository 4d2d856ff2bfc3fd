/** Maximum length of a terminal line, in characters. Longer details are cut with an ellipsis. */
const MAX_LINE_CHARS = 300;

/** Times one log message is shown on the terminal before the rest go to the log file only. */
const MAX_REPEATS = 3;

/** Fields of a pino JSON line that a short line uses. */
interface LogRecord {
  level?: number;
  msg?: string;
  key?: string;
  path?: string;
  method?: string;
  problem?: string;
  error?: string;
  err?: { message?: string };
}

/**
 * Turns pino JSON lines into short lines for a terminal, such as
 * `warning: upload attempt failed; retrying (tracks/a.wav): connect ECONNREFUSED`. Each message
 * is shown at most three times, because a lost connection repeats one warning per part.
 */
export class ProblemLines {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly output: (line: string) => void,
    private readonly logFile: string,
  ) {}

  /** Takes one JSON line as pino writes it. */
  write(json: string): void {
    let record: LogRecord;
    try {
      record = JSON.parse(json) as LogRecord;
    } catch {
      return;
    }

    const message = record.msg ?? '';
    const count = (this.counts.get(message) ?? 0) + 1;
    this.counts.set(message, count);
    if (count <= MAX_REPEATS) {
      this.output(summarizeLogRecord(record));
    } else if (count === MAX_REPEATS + 1) {
      this.output(`${label(record)}: "${message}" again; further repeats are in ${this.logFile}`);
    }
  }
}

/** Formats a log record as one line: its level, message, subject and cause. */
export function summarizeLogRecord(record: LogRecord): string {
  const subject = record.key ?? record.path ?? record.method;
  const cause = record.problem ?? record.err?.message ?? record.error;
  let line = `${label(record)}: ${record.msg ?? 'no message'}`;
  if (subject !== undefined) {
    line += ` (${subject})`;
  }
  if (cause !== undefined) {
    line += `: ${cause}`;
  }

  line = printable(line.replace(/\s+/g, ' '));
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line;
}

// File names may contain control characters, which would move the cursor or ring the bell.
function printable(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.charCodeAt(0);
      return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : char;
    })
    .join('');
}

function label(record: LogRecord): string {
  return (record.level ?? 0) >= 50 ? 'error' : 'warning';
}

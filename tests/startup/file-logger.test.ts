import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createFileLogger, logFilePath } from '../../electron/main/log';
import { summarizeLogRecord } from '../../electron/main/log-lines';

const dir = mkdtempSync(join(tmpdir(), 'cratebox-log-'));
let fileCount = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Creates a logger on a new file and collects the lines it sends to the terminal. */
function openLogger(): {
  file: string;
  terminal: string[];
  logger: ReturnType<typeof createFileLogger>;
} {
  fileCount += 1;
  const file = logFilePath(join(dir, `data-${fileCount}`), 'cli');
  const terminal: string[] = [];
  const logger = createFileLogger({
    file,
    level: 'info',
    onProblem: (line) => terminal.push(line),
  });
  return { file, terminal, logger };
}

function records(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('file logger', () => {
  it('writes every line to the file as JSON', () => {
    const { file, logger } = openLogger();

    logger.info({ batchId: 'b1' }, 'upload batch added');
    logger.warn({ key: 'tracks/a.wav', err: new Error('connect ECONNREFUSED') }, 'retrying');

    expect(file).toBe(join(dir, `data-${fileCount}`, 'logs', 'cli.log'));
    const [info, warning] = records(file);
    expect(info).toMatchObject({ level: 30, batchId: 'b1', msg: 'upload batch added' });
    expect(warning).toMatchObject({ level: 40, key: 'tracks/a.wav', msg: 'retrying' });
    expect((warning?.err as { stack?: string }).stack).toContain('connect ECONNREFUSED');
  });

  it('sends warnings and errors as short lines', () => {
    const { terminal, logger } = openLogger();

    logger.info('embedded store started');
    logger.warn(
      { key: 'tracks/a.wav', err: new Error('connect ECONNREFUSED\n  at stack') },
      'upload attempt failed; retrying',
    );
    logger.error({ problem: 'bucket "music" does not exist' }, 'the library cannot be read');

    expect(terminal).toEqual([
      'warning: upload attempt failed; retrying (tracks/a.wav): connect ECONNREFUSED at stack',
      'error: the library cannot be read: bucket "music" does not exist',
    ]);
  });

  it('shows one message three times', () => {
    const { file, terminal, logger } = openLogger();

    for (let part = 1; part <= 6; part += 1) {
      logger.warn({ key: `tracks/${part}.wav` }, 'upload attempt failed; retrying');
    }

    expect(terminal).toEqual([
      'warning: upload attempt failed; retrying (tracks/1.wav)',
      'warning: upload attempt failed; retrying (tracks/2.wav)',
      'warning: upload attempt failed; retrying (tracks/3.wav)',
      `warning: "upload attempt failed; retrying" again; further repeats are in ${file}`,
    ]);
    expect(records(file)).toHaveLength(6);
  });

  it('redacts secrets in the file', () => {
    const { file, logger } = openLogger();

    logger.warn({ credentials: { secretAccessKey: 'wJalrXUtnFEMI' } }, 'credentials rejected');

    expect(readFileSync(file, 'utf8')).not.toContain('wJalrXUtnFEMI');
    expect(records(file)[0]).toMatchObject({ credentials: { secretAccessKey: '[redacted]' } });
  });

  it('renames a large file before writing', () => {
    fileCount += 1;
    const file = logFilePath(join(dir, `data-${fileCount}`), 'web');
    const first = createFileLogger({ file, onProblem: () => undefined });
    first.info('first run');
    writeFileSync(file, 'x'.repeat(11 * 1024 * 1024), { flag: 'a' });

    const second = createFileLogger({ file, onProblem: () => undefined });
    second.info('second run');

    expect(existsSync(`${file}.1`)).toBe(true);
    expect(records(file).map((record) => record.msg)).toEqual(['second run']);
  });
});

describe('summarizeLogRecord', () => {
  it('escapes control characters in names', () => {
    const line = summarizeLogRecord({ level: 40, msg: 'file changed', path: '/m/a\u001b[2Jb.wav' });

    expect(line).toBe('warning: file changed (/m/a\\u001b[2Jb.wav)');
  });

  it('cuts long details', () => {
    const line = summarizeLogRecord({ level: 50, msg: 'request failed', problem: 'x'.repeat(500) });

    expect(line).toHaveLength(300);
    expect(line.endsWith('…')).toBe(true);
  });
});

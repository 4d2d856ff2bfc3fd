import { PassThrough } from 'node:stream';

import { describe, expect, test } from 'vitest';

import { createProgressDisplay, readingText } from '../../electron/main/cli/migrate-progress';
import type { UploadTotals } from '../../shared/uploads';

const MIB = 1024 * 1024;

function totals(overrides: Partial<UploadTotals>): UploadTotals {
  return {
    files: 1,
    active: 1,
    done: 0,
    skipped: 0,
    conflicts: 0,
    failed: 0,
    bytesTotal: 200 * MIB,
    bytesSent: 0,
    bytesPerSecond: 0,
    secondsLeft: null,
    reading: { files: 0, bytesRead: 0, bytesTotal: 0 },
    ...overrides,
  };
}

function output(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const chunks: Buffer[] = [];
  const stream = Object.assign(new PassThrough(), {
    isTTY,
    text: () => Buffer.concat(chunks).toString(),
  });
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return stream;
}

describe('readingText', () => {
  test('is empty while no file is read', () => {
    expect(readingText(totals({}))).toBe('');
  });

  test('gives the share of one file read', () => {
    const reading = { files: 1, bytesRead: 90 * MIB, bytesTotal: 200 * MIB };
    expect(readingText(totals({ reading }))).toBe('Reading 45%');
  });

  test('counts several files read at once', () => {
    const reading = { files: 3, bytesRead: 30 * MIB, bytesTotal: 300 * MIB };
    expect(readingText(totals({ reading }))).toBe('Reading 3 files, 10%');
  });
});

describe('progress display', () => {
  const reading = { files: 1, bytesRead: 90 * MIB, bytesTotal: 200 * MIB };

  test('plain lines say how much is read', () => {
    const stream = output(false);
    let clock = 0;
    const display = createProgressDisplay(stream, { dryRun: false, now: () => (clock += 6_000) });

    display.update(totals({ reading }));
    display.stop();

    expect(stream.text()).toMatch(/^0\/1 files checked, 0 B of 200\.0 MiB sent, .*, reading 45%$/m);
  });

  test('the progress bar says how much is read', () => {
    const stream = output(true);
    const display = createProgressDisplay(stream, { dryRun: false, now: () => 0 });

    display.update(totals({ reading }));
    display.stop();

    expect(stream.text()).toContain('| Reading 45%');
  });
});

describe('notes beside the progress', () => {
  test('a note prints above the bar', () => {
    const stream = output(true);
    const notes = output(false);
    const display = createProgressDisplay(stream, { dryRun: false, now: () => 0, notes });

    display.update(totals({ bytesSent: 10 * MIB }));
    const before = stream.text().length;
    display.note('warning: upload attempt failed; retrying (tracks/a.wav): connect ECONNREFUSED');
    const after = stream.text().slice(before);
    display.stop();

    expect(notes.text()).toBe(
      'warning: upload attempt failed; retrying (tracks/a.wav): connect ECONNREFUSED\n',
    );
    // The bar's line is cleared, then line wrapping is off again, the cursor position saved
    // below the note, and the bar drawn there.
    expect(after.startsWith('\r\x1b[2K\x1b[?7h\x1b[?7l\x1b7')).toBe(true);
    expect(after).toContain('Uploading [');
  });

  test('a note is a line of its own without a terminal', () => {
    const stream = output(false);
    const notes = output(false);
    const display = createProgressDisplay(stream, { dryRun: false, now: () => 0, notes });

    display.note('error: the library cannot be read: access denied');
    display.stop();

    expect(notes.text()).toBe('error: the library cannot be read: access denied\n');
    expect(stream.text()).toBe('');
  });
});

import { Presets, SingleBar } from 'cli-progress';

import type { UploadTotals } from '../../../shared/uploads';
import { formatBytes } from '../../../shared/byte-size';
import { formatDuration } from './format';

/** Stream the command writes to; `isTTY` decides between a progress bar and plain lines. */
export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/** Shows the progress of one migration. */
export interface ProgressDisplay {
  update(totals: UploadTotals): void;
  /** Prints a line of its own, above the progress bar when one is shown. */
  note(line: string): void;
  stop(): void;
}

/** Options of {@link createProgressDisplay}. */
export interface ProgressOptions {
  dryRun: boolean;
  now: () => number;
  /** Stream that notes go to; the progress stream when absent. */
  notes?: NodeJS.WritableStream;
}

/** Interval between two plain progress lines when the output is not a terminal. */
export const PLAIN_LINE_INTERVAL_MS = 5_000;

/**
 * Creates a progress bar on a terminal, or a display that writes one plain line every
 * {@link PLAIN_LINE_INTERVAL_MS} otherwise (log files, CI). A dry run counts files, not bytes.
 */
export function createProgressDisplay(
  stream: OutputStream,
  options: ProgressOptions,
): ProgressDisplay {
  const notes = options.notes ?? stream;
  return stream.isTTY === true
    ? barDisplay(stream, notes, options.dryRun)
    : lineDisplay(stream, notes, options.dryRun, options.now);
}

function finishedFiles(totals: UploadTotals): number {
  return totals.done + totals.skipped + totals.conflicts + totals.failed;
}

/**
 * Describes the files being read before their upload, e.g. `Reading 45%` or
 * `Reading 3 files, 45%`; empty when none is. Reading a large file takes a while, and without
 * this the display would stand at 0% meanwhile.
 */
export function readingText(totals: UploadTotals): string {
  const { files, bytesRead, bytesTotal } = totals.reading;
  if (files === 0) {
    return '';
  }
  const percent = bytesTotal > 0 ? Math.floor((bytesRead / bytesTotal) * 100) : 0;
  return files === 1 ? `Reading ${percent}%` : `Reading ${files} files, ${percent}%`;
}

function barDisplay(
  stream: OutputStream,
  notes: NodeJS.WritableStream,
  dryRun: boolean,
): ProgressDisplay {
  const bar = new SingleBar(
    {
      stream,
      // Redrawn on every tick, so that the bar comes back at once after a note cleared it.
      forceRedraw: true,
      format: dryRun
        ? 'Checking  [{bar}] {value}/{total} files{reading}'
        : 'Uploading [{bar}] {percentage}% | {sent} of {size} | {finished}/{files} files | {rate} | {left}{reading}',
      hideCursor: true,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let started = false;

  return {
    update(totals: UploadTotals): void {
      const total = dryRun ? totals.files : totals.bytesTotal;
      const reading = readingText(totals);
      const value = dryRun ? finishedFiles(totals) : totals.bytesSent;
      const payload = {
        sent: formatBytes(totals.bytesSent),
        size: formatBytes(totals.bytesTotal),
        finished: finishedFiles(totals),
        files: totals.files,
        rate: `${formatBytes(totals.bytesPerSecond)}/s`,
        left:
          totals.secondsLeft === null
            ? 'time left unknown'
            : `${formatDuration(totals.secondsLeft)} left`,
        reading: reading === '' ? '' : ` | ${reading}`,
      };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    note(line: string): void {
      if (!started) {
        notes.write(`${line}\n`);
        return;
      }
      // The note takes the bar's line and the bar is drawn again below it. SingleBar turns line
      // wrapping off while it runs (ESC [?7l), so it is on for the note alone. SingleBar also
      // saves the cursor position when it starts (ESC 7) and restores it when it stops (ESC 8),
      // so the position is saved again on the bar's new line.
      stream.write('\r\x1b[2K\x1b[?7h');
      notes.write(`${line}\n`);
      stream.write('\x1b[?7l\x1b7');
      bar.render();
    },
    stop(): void {
      if (started) {
        bar.stop();
      }
    },
  };
}

function lineDisplay(
  stream: OutputStream,
  notes: NodeJS.WritableStream,
  dryRun: boolean,
  now: () => number,
): ProgressDisplay {
  let lastLine = now();
  return {
    note(line: string): void {
      notes.write(`${line}\n`);
    },
    update(totals: UploadTotals): void {
      if (now() - lastLine < PLAIN_LINE_INTERVAL_MS) {
        return;
      }
      lastLine = now();
      const files = `${finishedFiles(totals)}/${totals.files} files checked`;
      const readingNow = readingText(totals);
      const reading = readingNow === '' ? '' : `, ${readingNow.toLowerCase()}`;
      if (dryRun) {
        stream.write(`${files}${reading}\n`);
        return;
      }
      const left =
        totals.secondsLeft === null
          ? 'time left unknown'
          : `about ${formatDuration(totals.secondsLeft)} left`;
      stream.write(
        `${files}, ${formatBytes(totals.bytesSent)} of ${formatBytes(totals.bytesTotal)} sent, ${formatBytes(totals.bytesPerSecond)}/s, ${left}${reading}\n`,
      );
    },
    stop(): void {},
  };
}

import { relative } from 'node:path';

import type { MigrationReport, ReportEntry } from '../../../shared/uploads';
import { formatBytes } from '../../../shared/byte-size';
import { formatDuration, plural } from './format';

/** Entries listed per group before the summary points to the report instead. */
const MAX_LISTED = { replaced: 20, skipped: 20, failed: 50 };

/**
 * Writes the end-of-migration summary: counts per outcome, with the replaced files, the skips
 * and the failures listed below their counts.
 */
export function formatSummary(report: MigrationReport, reportPath: string): string {
  const { summary } = report;
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  const lines: string[] = [];
  const root = report.root ?? '';

  if (report.dryRun) {
    lines.push(`Dry run of ${root} finished in ${formatDuration(seconds)}; nothing was uploaded.`);
    lines.push(
      `  Would upload:        ${plural(summary.wouldUpload, 'file')} (${formatBytes(bytesOf(report, 'would-upload'))})`,
    );
    lines.push(
      `  Would replace:       ${plural(summary.wouldReplace, 'file')} (${formatBytes(bytesOf(report, 'would-replace'))})`,
    );
  } else {
    lines.push(
      `Migration of ${root} finished in ${formatDuration(seconds)}; ${formatBytes(summary.bytesSent)} sent.`,
    );
    lines.push(`  Uploaded:            ${plural(summary.uploaded, 'file')}`);
    lines.push(`  Replaced:            ${plural(summary.replaced, 'file')}`);
  }
  // A replaced file overwrote a different file at its key, so each is named for the user to check.
  lines.push(
    ...listed(
      report.entries.filter(
        (entry) => entry.outcome === 'replaced' || entry.outcome === 'would-replace',
      ),
      root,
      MAX_LISTED.replaced,
      null,
    ),
  );
  lines.push(`  Skipped, unchanged:  ${plural(summary.unchanged, 'file')}`);
  lines.push(`  Skipped, not audio:  ${plural(summary.skippedNotAudio, 'file')}`);
  // System files (.DS_Store, Thumbs.db) are counted, not listed, because a large folder tree
  // can contain hundreds of them.
  lines.push(`  Skipped, system:     ${plural(summary.skippedSystem, 'file')}`);
  lines.push(`  Other skips:         ${plural(summary.skippedOther, 'file')}`);
  lines.push(
    ...listed(
      report.entries.filter(isOtherSkip),
      root,
      MAX_LISTED.skipped,
      (entry) => `${entry.reason ?? ''}: ${entry.message ?? ''}`,
    ),
  );
  lines.push(`  Failed:              ${plural(summary.failed, 'file')}`);
  lines.push(
    ...listed(
      report.entries.filter((entry) => entry.outcome === 'failed'),
      root,
      MAX_LISTED.failed,
      (entry) => entry.message ?? 'unknown error',
    ),
  );
  if (summary.cancelled > 0) {
    lines.push(`  Cancelled:           ${plural(summary.cancelled, 'file')}`);
  }
  lines.push(`Report: ${reportPath}`);
  return `${lines.join('\n')}\n`;
}

function isOtherSkip(entry: ReportEntry): boolean {
  return (
    entry.outcome === 'skipped' &&
    entry.reason !== 'unchanged' &&
    entry.reason !== 'not-audio' &&
    entry.reason !== 'no-audio' &&
    entry.reason !== 'system-file'
  );
}

// Lists entries by name, each followed by its description when `describe` is given.
function listed(
  entries: ReportEntry[],
  root: string,
  max: number,
  describe: ((entry: ReportEntry) => string) | null,
): string[] {
  const lines = entries.slice(0, max).map((entry) => {
    const name = `    ${printable(entry.name ?? (relative(root, entry.path) || entry.path))}`;
    return describe === null ? name : `${name}: ${printable(describe(entry))}`;
  });
  if (entries.length > max) {
    lines.push(`    … and ${entries.length - max} more; see the report`);
  }
  return lines;
}

// File names may contain control characters, which would move the cursor or ring the bell.
function printable(text: string): string {
  return [...text]
    .map((c) => {
      const code = c.charCodeAt(0);
      return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    })
    .join('');
}

function bytesOf(report: MigrationReport, outcome: ReportEntry['outcome']): number {
  return report.entries
    .filter((entry) => entry.outcome === outcome)
    .reduce((sum, entry) => sum + entry.bytes, 0);
}

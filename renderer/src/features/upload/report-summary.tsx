import type { ReactElement } from 'react';

import type { MigrationReport, ReportOutcome } from '../../../../shared/uploads';

const OUTCOME_LABELS: Record<ReportOutcome, string> = {
  uploaded: 'uploaded',
  'would-upload': 'would upload',
  replaced: 'replaced',
  'would-replace': 'would replace',
  conflict: 'not sent, name taken',
  skipped: 'skipped',
  failed: 'failed',
  cancelled: 'cancelled',
};

// Outcomes most files of a batch have; the list below the counts shows the others.
const USUAL_OUTCOMES: ReadonlySet<ReportOutcome> = new Set(['uploaded', 'would-upload']);

/** Renders the last report: its counts, and the files that were not simply uploaded. */
export function ReportSummary({ report }: { report: MigrationReport }): ReactElement {
  let kind = report.origin === 'cli' ? 'migration' : 'upload batch';
  if (report.dryRun) {
    kind = 'dry run';
  }
  return (
    <details className="report" data-testid="last-report">
      <summary>
        Last {kind}
        {report.root !== null && ` of ${report.root}`}: {countsText(report)}
      </summary>
      <ul>
        {report.entries
          .filter((entry) => !USUAL_OUTCOMES.has(entry.outcome))
          .map((entry) => (
            <li key={entry.path} data-testid="report-entry">
              <code>{entry.name ?? entry.path}</code>: {OUTCOME_LABELS[entry.outcome]}
              {entry.message !== null && ` — ${entry.message}`}
            </li>
          ))}
      </ul>
    </details>
  );
}

/**
 * Returns the counts of a report in words, e.g. `2 uploaded, 1 unchanged, …, 0 failed`. A dry run
 * uploads nothing, so its counts state what it would upload.
 */
export function countsText(report: MigrationReport): string {
  const { summary } = report;
  const parts = report.dryRun
    ? [`${summary.wouldUpload} would upload`]
    : [`${summary.uploaded} uploaded`];
  const rare = [
    [summary.replaced, 'replaced'],
    [summary.wouldReplace, 'would replace'],
    [summary.conflicts, 'name taken'],
  ] as const;
  for (const [count, words] of rare) {
    if (count > 0) {
      parts.push(`${count} ${words}`);
    }
  }
  parts.push(
    `${summary.unchanged} unchanged`,
    `${summary.skippedNotAudio} not audio`,
    `${summary.skippedSystem} system ${summary.skippedSystem === 1 ? 'file' : 'files'}`,
    `${summary.skippedOther} other ${summary.skippedOther === 1 ? 'skip' : 'skips'}`,
    `${summary.failed} failed`,
  );
  if (summary.cancelled > 0) {
    parts.push(`${summary.cancelled} cancelled`);
  }
  return parts.join(', ');
}

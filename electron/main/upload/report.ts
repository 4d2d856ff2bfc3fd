import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { MigrationReport, ReportEntry, ReportOutcome } from '../../../shared/uploads';
import { readJsonFile, writeJsonAtomic } from './atomic-json';
import { textForUser } from './job-text';
import type { StoredBatch, StoredJob } from './state-store';

/** Builds the report of a finished batch from the final state of its jobs. */
export function buildReport(
  batch: StoredBatch,
  jobs: readonly StoredJob[],
  finishedAt: string,
): MigrationReport {
  const entries = jobs.map(entryOf);
  const count = (predicate: (entry: ReportEntry) => boolean): number =>
    entries.filter(predicate).length;

  return {
    id: batch.id,
    origin: batch.origin,
    root: batch.root,
    dryRun: batch.dryRun,
    startedAt: batch.startedAt,
    finishedAt,
    summary: {
      uploaded: count((entry) => entry.outcome === 'uploaded'),
      replaced: count((entry) => entry.outcome === 'replaced'),
      wouldUpload: count((entry) => entry.outcome === 'would-upload'),
      wouldReplace: count((entry) => entry.outcome === 'would-replace'),
      conflicts: count((entry) => entry.outcome === 'conflict'),
      unchanged: count((entry) => entry.reason === 'unchanged'),
      skippedNotAudio: count(
        (entry) => entry.reason === 'not-audio' || entry.reason === 'no-audio',
      ),
      skippedSystem: count((entry) => entry.reason === 'system-file'),
      skippedOther: count(
        (entry) =>
          entry.outcome === 'skipped' &&
          entry.reason !== 'unchanged' &&
          entry.reason !== 'not-audio' &&
          entry.reason !== 'no-audio' &&
          entry.reason !== 'system-file',
      ),
      failed: count((entry) => entry.outcome === 'failed'),
      cancelled: count((entry) => entry.outcome === 'cancelled'),
      bytesSent: jobs.reduce((sum, job) => sum + job.wireBytes, 0),
    },
    entries,
  };
}

function entryOf(job: StoredJob): ReportEntry {
  return {
    path: job.path,
    name: job.name,
    key: job.key,
    outcome: outcomeOf(job),
    reason: job.state === 'skipped' ? job.skipReason : null,
    message: textForUser(job, job.message),
    bytes: job.bytesTotal,
  };
}

function outcomeOf(job: StoredJob): ReportOutcome {
  switch (job.state) {
    case 'done':
      if (job.dryRun) {
        return job.replaced ? 'would-replace' : 'would-upload';
      }
      return job.replaced ? 'replaced' : 'uploaded';
    case 'skipped':
      return 'skipped';
    case 'conflict':
      return 'conflict';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** Writes a report as `<batch id>.json` in `dir` and returns its path. */
export async function writeReport(dir: string, report: MigrationReport): Promise<string> {
  const path = reportPathIn(dir, report.id);
  await writeJsonAtomic(path, report);
  return path;
}

/** Returns the path of a batch's report in `dir`. */
export function reportPathIn(dir: string, batchId: string): string {
  return join(dir, `${batchId}.json`);
}

/** Reads a batch's report from `dir`; returns null when it was never written. */
export async function readReport(dir: string, batchId: string): Promise<MigrationReport | null> {
  return withCurrentFields((await readJsonFile(reportPathIn(dir, batchId))) as StoredReport);
}

/** Number of most recently started batches whose reports are read to find the last one. */
const RECENT_REPORTS = 20;

/**
 * Reads the report that finished last among the most recently started batches (batch ids sort
 * by start time), or returns null when `dir` contains none.
 */
export async function readLatestReport(dir: string): Promise<MigrationReport | null> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch {
    return null;
  }

  let latest: MigrationReport | null = null;
  for (const name of names.sort().slice(-RECENT_REPORTS)) {
    const report = withCurrentFields((await readJsonFile(join(dir, name))) as StoredReport);
    if (report !== null && (latest === null || report.finishedAt > latest.finishedAt)) {
      latest = report;
    }
  }
  return latest;
}

// Counts that reports of earlier versions lack.
type AddedCounts = 'skippedSystem' | 'wouldUpload' | 'replaced' | 'wouldReplace' | 'conflicts';

/**
 * Report as read from disk. Reports written before a count was added lack it. Dry-run reports
 * written before `wouldUpload` existed count the files they would upload as `uploaded`.
 */
type StoredReport =
  | (Omit<MigrationReport, 'summary'> & {
      summary: Omit<MigrationReport['summary'], AddedCounts> &
        Partial<Pick<MigrationReport['summary'], AddedCounts>>;
    })
  | null;

function withCurrentFields(report: StoredReport): MigrationReport | null {
  if (report === null) {
    return null;
  }
  const { summary } = report;
  const older = summary.wouldUpload === undefined;
  return {
    ...report,
    summary: {
      ...summary,
      uploaded: older && report.dryRun ? 0 : summary.uploaded,
      wouldUpload: summary.wouldUpload ?? (report.dryRun ? summary.uploaded : 0),
      replaced: summary.replaced ?? 0,
      wouldReplace: summary.wouldReplace ?? 0,
      conflicts: summary.conflicts ?? 0,
      skippedSystem: summary.skippedSystem ?? 0,
    },
  };
}

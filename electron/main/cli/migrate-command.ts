import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { MigrationReport, UploadJobView, UploadTotals } from '../../../shared/uploads';
import type { UploadEngine } from '../upload/engine-types';
import { computeTotals } from '../upload/progress-math';
import { createProgressDisplay } from './migrate-progress';
import type { OutputStream } from './migrate-progress';
import { formatSummary } from './migrate-summary';
import type { TerminalNotes } from './terminal-notes';

/** Dependencies of `cratebox migrate`. */
export interface MigrateDeps {
  engine: UploadEngine;
  stdout: OutputStream;
  stderr: NodeJS.WritableStream;
  /** Clock for the progress display, in milliseconds; `Date.now` when absent. */
  now?: () => number;
  /**
   * Checks that the bucket can be read before any file is queued, throwing an error whose
   * message states what to change; no check when absent.
   */
  checkStorage?: () => Promise<void>;
  /** Receives the progress display while it is shown, so log warnings print above its bar. */
  notes?: TerminalNotes;
  /** Log file of the run, named after the summary; not named when absent. */
  logFile?: string;
}

/** Exit codes of `cratebox migrate`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const MAX_CONCURRENCY = 16;
const PROGRESS_POLL_MS = 250;

/** Help text of `cratebox migrate`. */
export const MIGRATE_USAGE = `Usage: cratebox migrate <folder> [options]

Uploads every audio file under <folder> to tracks/ in the bucket, keeping the folder
structure (like "aws s3 cp --recursive"). Files already in the bucket with the same
content are skipped, a file whose key contains different content replaces it (the summary
lists these as replaced), interrupted uploads continue where they stopped, and every file is
checked against the SHA-256 checksum S3 reports. Dropbox's own files and conflicted copies are
reported, not uploaded. System files such as .DS_Store, ._* (AppleDouble), Thumbs.db and
desktop.ini are skipped and counted. A file whose name cannot be a key (a tab or another
control character in it, or a key over 1024 bytes) is skipped with the name to change.

Options:
  --dry-run          Inspect the files and compare them with the bucket; upload nothing.
                     The summary counts what would be uploaded and lists what would be
                     replaced.
  --concurrency N    Number of files uploaded at once, 1-${MAX_CONCURRENCY} (default: the
                     "parallel files" upload setting).
  --report FILE      Also write the JSON report of the migration to FILE.
  -h, --help         Show this help.

Exit status: 0 when no file failed (skipped files are not failures), 1 when a file failed
or the bucket cannot be used, 2 on invalid arguments.
`;

class UsageError extends Error {}

interface MigrateArgs {
  folder: string;
  dryRun: boolean;
  concurrency: number | undefined;
  reportFile: string | undefined;
}

/**
 * Runs `cratebox migrate` with the arguments after `migrate`: queues the folder on the engine,
 * shows progress, prints a summary and returns the exit code.
 */
export async function runMigrate(argv: string[], deps: MigrateDeps): Promise<number> {
  let args: MigrateArgs | 'help';
  try {
    args = await parseMigrateArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) {
      throw error;
    }
    deps.stderr.write(
      `cratebox migrate: ${error.message}\nRun "cratebox migrate --help" for usage.\n`,
    );
    return EXIT.usage;
  }
  if (args === 'help') {
    deps.stdout.write(MIGRATE_USAGE);
    return EXIT.ok;
  }

  // One clear message about the bucket or credentials beats the same failure for every file.
  if (deps.checkStorage !== undefined) {
    try {
      await deps.checkStorage();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.stderr.write(`cratebox migrate: ${reason}\n`);
      return EXIT.failed;
    }
  }

  const { engine } = deps;
  const now = deps.now ?? Date.now;
  const { batchId } = await engine.add([{ path: args.folder }], {
    origin: 'cli',
    root: args.folder,
    dryRun: args.dryRun,
    parallelFiles: args.concurrency,
    // The folder is the catalogue being moved, so a changed file replaces the stored one.
    replaceDifferent: true,
  });

  const display = createProgressDisplay(deps.stdout, {
    dryRun: args.dryRun,
    now,
    notes: deps.stderr,
  });
  deps.notes?.attach(display);
  const poll = setInterval(
    () => display.update(batchTotals(engine, batchId, args.dryRun)),
    PROGRESS_POLL_MS,
  );
  let report: MigrationReport;
  try {
    report = await engine.whenBatchDone(batchId);
  } finally {
    clearInterval(poll);
    display.update(batchTotals(engine, batchId, args.dryRun));
    display.stop();
    deps.notes?.attach(null);
  }

  let reportPath = engine.reportPath(batchId);
  let exitCode: number = report.summary.failed > 0 ? EXIT.failed : EXIT.ok;
  if (args.reportFile !== undefined) {
    try {
      await mkdir(dirname(args.reportFile), { recursive: true });
      await writeFile(args.reportFile, `${JSON.stringify(report, null, 2)}\n`);
      reportPath = args.reportFile;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.stderr.write(
        `cratebox migrate: could not write the report to ${args.reportFile}: ${reason}; it is kept at ${reportPath}\n`,
      );
      exitCode = EXIT.failed;
    }
  }
  deps.stdout.write(formatSummary(report, reportPath));
  if (deps.logFile !== undefined) {
    deps.stdout.write(`Log: ${deps.logFile}\n`);
  }
  return exitCode;
}

async function parseMigrateArgs(argv: string[]): Promise<MigrateArgs | 'help'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'dry-run': { type: 'boolean' },
        concurrency: { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    return 'help';
  }

  if (positionals.length === 0) {
    throw new UsageError(
      'missing <folder>: name the folder to migrate, e.g. "cratebox migrate ~/Dropbox/Music"',
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one folder, got ${positionals.length}: ${positionals.map((p) => `"${p}"`).join(', ')}; quote a path that contains spaces`,
    );
  }

  const folder = resolve(positionals[0] ?? '');
  await checkFolder(folder);
  return {
    folder,
    dryRun: values['dry-run'] === true,
    concurrency:
      values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency),
    reportFile: values.report === undefined ? undefined : resolve(values.report),
  };
}

async function checkFolder(folder: string): Promise<void> {
  let info;
  try {
    info = await stat(folder);
  } catch {
    throw new UsageError(`folder not found: ${folder}; check the path`);
  }
  if (!info.isDirectory()) {
    throw new UsageError(
      `${folder} is a file, not a folder; to upload single files, drop them on the app`,
    );
  }
}

function parseConcurrency(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_CONCURRENCY) {
    throw new UsageError(
      `invalid --concurrency "${text}": use a whole number from 1 to ${MAX_CONCURRENCY}`,
    );
  }
  return value;
}

function batchTotals(engine: UploadEngine, batchId: string, dryRun: boolean): UploadTotals {
  const jobs: UploadJobView[] = engine.snapshot().jobs.filter((job) => job.batchId === batchId);
  const rate = jobs.reduce((sum, job) => sum + job.bytesPerSecond, 0);
  return computeTotals(jobs, rate, () => dryRun);
}

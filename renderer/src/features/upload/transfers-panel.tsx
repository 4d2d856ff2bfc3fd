import type { ReactElement } from 'react';

import type { UploadJobView, WaitingQueue } from '../../../../shared/uploads';
import { formatBytes } from '../../../../shared/byte-size';
import { useConnectionState } from '../../api/use-connection';
import { formatDuration } from '../../ui/format';
import { ReportSummary } from './report-summary';
import type { UploadsState } from './use-uploads';

const STATE_LABELS: Record<UploadJobView['state'], string> = {
  queued: 'Queued',
  preparing: 'Reading',
  uploading: 'Uploading',
  paused: 'Paused',
  verifying: 'Verifying',
  done: 'Uploaded',
  skipped: 'Skipped',
  conflict: 'Name taken',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const OFFLINE_TITLE = 'Not connected to the Cratebox host';

/**
 * Renders the upload queue: totals, one row per file with its progress and actions, and the last
 * report. While the connection to the host is lost, the rows keep their last known state, marked
 * as not updating, without rates or times left, and without actions, which could not be sent.
 */
export function TransfersPanel({ uploads }: { uploads: UploadsState }): ReactElement {
  const { jobs, totals, staging, error, report, waitingElsewhere } = uploads;
  const ordered = [...jobs].reverse();
  const offline = useConnectionState() === 'lost';
  return (
    <section className="transfers" aria-label="Transfers">
      <header className="section-header">
        <h2>Transfers</h2>
        {totals !== null && totals.files > 0 && (
          <span className="muted" data-testid="transfer-totals">
            {totals.done} uploaded · {totals.skipped} skipped
            {totals.conflicts > 0 && ` · ${totals.conflicts} name taken`} · {totals.failed} failed
            {totals.active > 0 &&
              ` · ${formatBytes(totals.bytesSent)} of ${formatBytes(totals.bytesTotal)}`}
            {totals.active > 0 &&
              !offline &&
              `, ${formatBytes(totals.bytesPerSecond)}/s, ${formatDuration(totals.secondsLeft)} left`}
          </span>
        )}
        <button
          type="button"
          onClick={uploads.clearFinished}
          disabled={jobs.length === 0 || offline}
          title={offline ? OFFLINE_TITLE : undefined}
        >
          Clear finished
        </button>
      </header>
      {offline && jobs.length > 0 && (
        <p className="stale-note" data-testid="transfers-stale">
          Not updating: the connection to the Cratebox host is lost. This list shows the last state
          the page received.
        </p>
      )}
      {staging !== null && (
        <p className="muted" role="status" data-testid="staging-status">
          Reading files: {staging.filesDone} of {staging.filesTotal}. Keep this page open until they
          join the queue.
        </p>
      )}
      {waitingElsewhere.map((queue) => (
        <WaitingNotice key={queue.storage} queue={queue} />
      ))}
      {error !== null && (
        <p className="error" role="alert" data-testid="upload-error">
          {error}
        </p>
      )}
      <ul className={offline ? 'jobs stale' : 'jobs'}>
        {ordered.map((job) => (
          <JobRow
            key={job.id}
            job={job}
            offline={offline}
            act={uploads.act}
            discard={uploads.discard}
          />
        ))}
      </ul>
      {report !== null && <ReportSummary report={report} />}
    </section>
  );
}

function JobRow({
  job,
  offline,
  act,
  discard,
}: {
  job: UploadJobView;
  offline: boolean;
  act: UploadsState['act'];
  discard: UploadsState['discard'];
}): ReactElement {
  const active =
    job.state === 'uploading' ||
    job.state === 'preparing' ||
    job.state === 'verifying' ||
    job.state === 'queued';
  const reading = job.bytesRead !== null;
  const readFraction = fractionOf(job.bytesRead ?? 0, job.bytesTotal);
  // A file read again on resume already has parts on the server, and the bar keeps showing them.
  const barShowsRead = reading && job.bytesSent === 0;
  const fraction = barShowsRead ? readFraction : fractionOf(job.bytesSent, job.bytesTotal);
  let label = STATE_LABELS[job.state];
  if (reading && job.state === 'preparing') {
    label = `Reading ${Math.floor(readFraction * 100)}%`;
  } else if (job.state === 'done' && job.replaced) {
    label = 'Replaced';
  }
  const buttonProps = { disabled: offline, title: offline ? OFFLINE_TITLE : undefined };
  return (
    <li
      className={`job state-${job.state}`}
      data-testid="upload-job"
      data-id={job.id}
      data-name={job.name}
      data-state={job.state}
    >
      <div className="job-line">
        <span className="job-name" title={job.key ?? job.name}>
          {job.name}
        </span>
        <span className="job-state" data-testid="job-state">
          {label}
        </span>
        {active && job.state !== 'queued' && (
          <button type="button" {...buttonProps} onClick={() => act('pause', job.id)}>
            Pause
          </button>
        )}
        {job.state === 'paused' && (
          <button type="button" {...buttonProps} onClick={() => act('resume', job.id)}>
            Resume
          </button>
        )}
        {(active || job.state === 'paused') && (
          <button type="button" {...buttonProps} onClick={() => act('cancel', job.id)}>
            Cancel
          </button>
        )}
        {(job.state === 'failed' || job.state === 'cancelled') && job.key !== null && (
          <button type="button" {...buttonProps} onClick={() => act('retry', job.id)}>
            Retry
          </button>
        )}
        {job.state === 'conflict' && (
          <button
            type="button"
            disabled={offline}
            title={
              offline
                ? OFFLINE_TITLE
                : `Upload this file over the one stored as ${job.key ?? job.name}`
            }
            onClick={() => act('replace', job.id)}
          >
            Replace
          </button>
        )}
        {(job.state === 'failed' || job.state === 'cancelled' || job.state === 'conflict') && (
          <button
            type="button"
            disabled={offline}
            title={discardTitle(job, offline)}
            onClick={() => discard(job.id)}
          >
            Discard
          </button>
        )}
      </div>
      {(active || job.state === 'paused') && (
        <div className="job-progress">
          <progress
            max={1}
            value={fraction}
            aria-label={`${job.name} ${barShowsRead ? 'read' : 'upload'} progress`}
          />
          <span className="muted small" data-testid="job-bytes">
            {transferText(job, offline)}
          </span>
        </div>
      )}
      {job.message !== null && (
        <p
          className={
            job.state === 'failed' || job.state === 'conflict' ? 'error small' : 'muted small'
          }
          data-testid="upload-message"
        >
          {job.message}
        </p>
      )}
    </li>
  );
}

// Each storage target keeps its own queue, so these jobs are out of sight until it is selected.
function WaitingNotice({ queue }: { queue: WaitingQueue }): ReactElement {
  const single = queue.files === 1;
  const more = queue.files > queue.names.length ? ', …' : '';
  const text =
    `${queue.files} ${single ? 'file waits' : 'files wait'} for ${queue.storage} ` +
    `(${queue.names.join(', ')}${more}). Select that storage in Settings to upload, retry or ` +
    `discard ${single ? 'it' : 'them'}.`;
  return (
    <p className="notice small" role="status" data-testid="waiting-elsewhere">
      {text}
    </p>
  );
}

function discardTitle(job: UploadJobView, offline: boolean): string {
  if (offline) {
    return OFFLINE_TITLE;
  }
  return job.state === 'conflict'
    ? 'Remove from the queue and keep the stored file'
    : 'Remove from the queue and delete what was uploaded of it';
}

// Rates and times left are left out while the connection is lost, because they would be stale.
function transferText(job: UploadJobView, offline: boolean): string {
  const total = formatBytes(job.bytesTotal);
  if (job.bytesRead !== null) {
    const read = `${formatBytes(job.bytesRead)} / ${total} read`;
    return job.bytesSent > 0 ? `${read} · ${formatBytes(job.bytesSent)} uploaded` : read;
  }

  const parts = [`${formatBytes(job.bytesSent)} / ${total}`];
  if (!offline && job.bytesPerSecond > 0) {
    parts.push(`${formatBytes(job.bytesPerSecond)}/s`);
    if (job.secondsLeft !== null) {
      parts.push(`${formatDuration(job.secondsLeft)} left`);
    }
  }
  return parts.join(' · ');
}

function fractionOf(part: number, whole: number): number {
  return whole > 0 ? Math.min(1, part / whole) : 0;
}

import { useCallback, useEffect, useState } from 'react';

import type {
  MigrationReport,
  UploadJobView,
  UploadProgress,
  UploadTotals,
  WaitingQueue,
} from '../../../../shared/uploads';
import type { BrowserFile } from './collect-files';
import { filesOfEntries } from './collect-files';
import type { StagingProgress } from './submit-files';
import { submitBrowserFiles } from './submit-files';
import { useShell } from '../../api/shell-context';
import { useOnReconnect } from '../../api/use-connection';

/** Upload queue state and actions for the UI. */
export interface UploadsState {
  jobs: UploadJobView[];
  totals: UploadTotals | null;
  /** Unfinished jobs of other storage targets, which resume when that storage is selected. */
  waitingElsewhere: WaitingQueue[];
  report: MigrationReport | null;
  staging: StagingProgress | null;
  /** Reason the last submission failed, if it did. */
  error: string | null;
  submitEntries: (entries: FileSystemEntry[], topLevelFiles: File[]) => void;
  submitBrowserFiles: (files: BrowserFile[]) => void;
  pickNative: (folders: boolean) => void;
  /** Runs an action on a job; `replace` retries a conflicting job over the file at its key. */
  act: (action: 'pause' | 'resume' | 'cancel' | 'retry' | 'replace', id: string) => void;
  /** Removes a job from the queue, deleting its unfinished upload. */
  discard: (id: string) => void;
  clearFinished: () => void;
}

/**
 * Mirrors the main process's upload queue and submits dropped or picked files to it. The queue
 * and the last report are read again after the connection to the main process returns, and the
 * report whenever one is written, by this app or by `cratebox migrate`.
 */
export function useUploads(): UploadsState {
  const shell = useShell();
  const { api } = shell;
  const [jobs, setJobs] = useState<UploadJobView[]>([]);
  const [totals, setTotals] = useState<UploadTotals | null>(null);
  const [waitingElsewhere, setWaitingElsewhere] = useState<WaitingQueue[]>([]);
  const [report, setReport] = useState<MigrationReport | null>(null);
  const [staging, setStaging] = useState<StagingProgress | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadReport = useCallback(() => {
    api.invoke('uploads.lastReport', {}).then(setReport, () => undefined);
  }, [api]);

  const loadQueue = useCallback(() => {
    api.invoke('uploads.list', {}).then(
      (listing) => {
        setJobs(listing.jobs);
        setTotals(listing.totals);
        setWaitingElsewhere(listing.waitingElsewhere);
      },
      (failure: Error) => setError(failure.message),
    );
    loadReport();
  }, [api, loadReport]);

  useOnReconnect(loadQueue);

  useEffect(() => {
    loadQueue();
    const unsubscribeReports = api.on('uploads.reportWritten', loadReport);
    // Each storage target has its own queue.
    const unsubscribeStorage = api.on('library.changed', ({ storageChanged }) => {
      if (storageChanged) {
        loadQueue();
      }
    });
    const unsubscribeProgress = api.on('uploads.progress', (progress: UploadProgress) => {
      setJobs((current) => mergeJobs(current, progress));
      setTotals(progress.totals);
      if (progress.totals.active === 0) {
        loadReport();
      }
    });
    return () => {
      unsubscribeReports();
      unsubscribeStorage();
      unsubscribeProgress();
    };
  }, [api, loadQueue, loadReport]);

  const isStaging = staging !== null;
  useEffect(() => {
    if (!isStaging) {
      return;
    }
    // Leaving or reloading the page stops the copies to the host, and the files never join the
    // queue, so the browser asks first. Browsers show their own text in that dialog.
    const confirmLeaving = (event: BeforeUnloadEvent): void => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', confirmLeaving);
    return () => window.removeEventListener('beforeunload', confirmLeaving);
  }, [isStaging]);

  const run = useCallback((work: Promise<unknown>) => {
    setError(null);
    work.catch((failure: Error) => setError(failure.message)).finally(() => setStaging(null));
  }, []);

  const sendBrowserFiles = useCallback(
    (files: BrowserFile[]) => {
      if (files.length === 0) {
        setError('Nothing to upload: the drop held no files.');
        return;
      }
      setStaging({ filesDone: 0, filesTotal: files.length });
      run(submitBrowserFiles(api, files, setStaging));
    },
    [api, run],
  );

  return {
    jobs,
    totals,
    waitingElsewhere,
    report,
    staging,
    error,
    submitEntries(entries, topLevelFiles) {
      if (shell.kind === 'electron') {
        // The main process walks dropped folders itself, from their real paths.
        const sources = topLevelFiles.map((file) => ({ path: shell.bridge.pathForFile(file) }));
        run(api.invoke('uploads.add', { sources }));
        return;
      }
      // Drops built by scripts carry files without file-system entries; take them as they are.
      if (entries.length === 0) {
        sendBrowserFiles(topLevelFiles.map((file) => ({ file, relativePath: file.name })));
        return;
      }
      run(filesOfEntries(entries).then(sendBrowserFiles));
    },
    submitBrowserFiles: sendBrowserFiles,
    pickNative(folders) {
      run(api.invoke('uploads.pick', { folders }));
    },
    act(action, id) {
      if (action === 'replace') {
        run(api.invoke('uploads.retry', { id, replace: true }));
        return;
      }
      run(api.invoke(`uploads.${action}`, { id }));
    },
    discard(id) {
      run(
        api.invoke('uploads.discard', { id }).then((snapshot) => {
          setJobs(snapshot.jobs);
          setTotals(snapshot.totals);
        }),
      );
    },
    clearFinished() {
      run(
        api.invoke('uploads.clearFinished', {}).then((snapshot) => {
          setJobs(snapshot.jobs);
          setTotals(snapshot.totals);
        }),
      );
    },
  };
}

function mergeJobs(current: UploadJobView[], progress: UploadProgress): UploadJobView[] {
  const removed = new Set(progress.removedIds);
  const changed = new Map(progress.jobs.map((job) => [job.id, job]));
  const merged = current
    .filter((job) => !removed.has(job.id))
    .map((job) => {
      const update = changed.get(job.id);
      changed.delete(job.id);
      return update ?? job;
    });
  return [...merged, ...changed.values()];
}

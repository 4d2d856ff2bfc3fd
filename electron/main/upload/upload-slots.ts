/** Releases a held upload slot; calls after the first do nothing. */
export type ReleaseSlot = () => void;

/**
 * Slots for the upload phase of jobs: at most `limit()` jobs send their bytes at once, and
 * waiting jobs get a slot in the order they asked for one. Jobs prepare (compare and inspect)
 * before they ask, so the next files are inspected while others upload.
 */
export interface UploadSlots {
  /** Waits for a free slot. Rejects with the signal's reason when the signal aborts first. */
  acquire(signal: AbortSignal): Promise<ReleaseSlot>;
  /** Hands free slots to waiting jobs, for example after the limit was raised. */
  grant(): void;
}

/** Creates upload slots whose number `limit()` returns; it is read again on every change. */
export function createUploadSlots(limit: () => number): UploadSlots {
  let inUse = 0;
  const waiting: Array<() => void> = [];

  function grant(): void {
    while (waiting.length > 0 && inUse < limit()) {
      const start = waiting.shift() as () => void;
      inUse += 1;
      start();
    }
  }

  function acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) {
      return Promise.reject(signal.reason);
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const start = (): void => {
        signal.removeEventListener('abort', onAbort);
        let released = false;
        resolve(() => {
          if (!released) {
            released = true;
            inUse -= 1;
            grant();
          }
        });
      };
      const onAbort = (): void => {
        const index = waiting.indexOf(start);
        if (index >= 0) {
          waiting.splice(index, 1);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waiting.push(start);
      grant();
    });
  }

  return { acquire, grant };
}

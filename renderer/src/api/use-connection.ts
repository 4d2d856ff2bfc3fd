import { useEffect, useRef, useSyncExternalStore } from 'react';

import type { ConnectionState } from './connection';
import { useShell } from './shell-context';

/** Returns the state of the link to the main process, and renders again when it changes. */
export function useConnectionState(): ConnectionState {
  const { connection } = useShell();
  return useSyncExternalStore(
    (notify) => connection.subscribe(notify),
    () => connection.state(),
  );
}

/**
 * Calls `resync` each time the link to the main process opens again after it was lost, because
 * the events sent meanwhile never arrived and what the UI shows may be stale.
 */
export function useOnReconnect(resync: () => void): void {
  const { connection } = useShell();
  const latest = useRef(resync);

  useEffect(() => {
    latest.current = resync;
  }, [resync]);

  useEffect(() => {
    let previous = connection.state();
    return connection.subscribe((state) => {
      if (state === 'open' && previous === 'lost') {
        latest.current();
      }
      previous = state;
    });
  }, [connection]);
}

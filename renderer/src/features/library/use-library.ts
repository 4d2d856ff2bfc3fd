import { useCallback, useEffect, useRef, useState } from 'react';

import type { Track } from '../../../../shared/contract';
import { STORAGE_SETTINGS_ERRORS } from '../../../../shared/errors';
import type { ErrorName } from '../../../../shared/errors';
import { useShell } from '../../api/shell-context';
import { useOnReconnect } from '../../api/use-connection';

/** Library state for the UI. */
export interface LibraryState {
  tracks: Track[];
  loading: boolean;
  error: string | null;
  /** Whether a change of the storage settings can fix the error. */
  settingsCanFix: boolean;
  refresh: () => void;
}

/**
 * Loads the library and reloads it whenever the main process reports new tracks, and after the
 * connection to it returns. When the storage changes or a listing fails, the list is emptied:
 * tracks of another bucket, or of one that cannot be read, must not look playable.
 */
export function useLibrary(): LibraryState {
  const { api } = useShell();
  const [tracks, setTracks] = useState<Track[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<{ name: string; message: string } | null>(null);
  // Only the newest listing sets the state, because an older one can resolve later, for another bucket.
  const generation = useRef(0);

  // Sets state only in callbacks, so the effect below can call it.
  const load = useCallback(() => {
    const current = ++generation.current;
    api
      .invoke('library.list', {})
      .then((listed) => {
        if (current === generation.current) {
          setTracks(listed);
          setError(null);
        }
      })
      .catch((failure: Error) => {
        if (current === generation.current) {
          setTracks([]);
          setError({ name: failure.name, message: `Cannot load the library: ${failure.message}` });
        }
      })
      .finally(() => {
        if (current === generation.current) {
          setLoading(false);
        }
      });
  }, [api]);

  const refresh = useCallback(() => {
    setLoading(true);
    load();
  }, [load]);

  useOnReconnect(refresh);

  useEffect(() => {
    load();
    // Several uploads often finish together; one reload covers them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = api.on('library.changed', ({ storageChanged }) => {
      clearTimeout(timer);
      if (storageChanged) {
        setTracks([]);
        setError(null);
        setLoading(true);
        load();
        return;
      }
      timer = setTimeout(load, 300);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [api, load]);

  return {
    tracks,
    loading,
    error: error?.message ?? null,
    settingsCanFix: error !== null && STORAGE_SETTINGS_ERRORS.includes(error.name as ErrorName),
    refresh,
  };
}

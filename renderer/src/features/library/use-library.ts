import { useCallback, useEffect, useState } from 'react';

import type { Track } from '../../../../shared/contract';
import { STORAGE_SETTINGS_ERRORS } from '../../../../shared/errors';
import type { ErrorName } from '../../../../shared/errors';
import { useShell } from '../../api/shell-context';

/** Library state for the UI. */
export interface LibraryState {
  tracks: Track[];
  loading: boolean;
  error: string | null;
  /** Whether a change of the storage settings can fix the error. */
  settingsCanFix: boolean;
  refresh: () => void;
}

/** Loads the library and reloads it whenever the main process reports new tracks. */
export function useLibrary(): LibraryState {
  const { api } = useShell();
  const [tracks, setTracks] = useState<Track[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<{ name: string; message: string } | null>(null);

  // Sets state only in callbacks, so the effect below can call it.
  const load = useCallback(() => {
    api
      .invoke('library.list', {})
      .then((listed) => {
        setTracks(listed);
        setError(null);
      })
      .catch((failure: Error) => {
        setError({ name: failure.name, message: `Cannot load the library: ${failure.message}` });
      })
      .finally(() => setLoading(false));
  }, [api]);

  const refresh = useCallback(() => {
    setLoading(true);
    load();
  }, [load]);

  useEffect(() => {
    load();
    // Several uploads often finish together; one reload covers them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = api.on('library.changed', () => {
      clearTimeout(timer);
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

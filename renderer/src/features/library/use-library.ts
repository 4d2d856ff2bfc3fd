import { useCallback, useEffect, useState } from 'react';

import type { Track } from '../../../../shared/contract';
import { useShell } from '../../api/shell-context';

/** Library state for the UI. */
export interface LibraryState {
  tracks: Track[];
  loading: boolean;
  error: string | null;
  refresh: () => void;
}

/** Loads the library and reloads it whenever the main process reports new tracks. */
export function useLibrary(): LibraryState {
  const { api } = useShell();
  const [tracks, setTracks] = useState<Track[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  // Sets state only in callbacks, so the effect below can call it.
  const load = useCallback(() => {
    api
      .invoke('library.list', {})
      .then((listed) => {
        setTracks(listed);
        setError(null);
      })
      .catch((failure: Error) => setError(`Cannot load the library: ${failure.message}`))
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

  return { tracks, loading, error, refresh };
}

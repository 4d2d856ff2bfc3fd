import type { ReactElement } from 'react';

import type { Track } from '../../../../shared/contract';
import { trackCount } from './track-format';
import { TrackTable } from './track-table';
import type { LibraryState } from './use-library';

/** Props of {@link LibraryView}. */
export interface LibraryViewProps {
  library: LibraryState;
  currentKey: string | null;
  /** Keys of tracks that failed to play because this player cannot decode their format. */
  undecodableKeys: ReadonlySet<string>;
  onPlay: (track: Track) => void;
  /** Pauses or resumes the current track. */
  onToggle: () => void;
  onOpenSettings: () => void;
}

/** Renders the library: its header, its listing error and the table of every track, in library order. */
export function LibraryView({
  library,
  currentKey,
  undecodableKeys,
  onPlay,
  onToggle,
  onOpenSettings,
}: LibraryViewProps): ReactElement {
  const { tracks, loading, error, settingsCanFix, refresh } = library;
  return (
    <section className="library" aria-label="Library">
      <header className="section-header">
        <h2>Library</h2>
        <span className="muted" data-testid="track-count">
          {loading ? 'Loading…' : trackCount(tracks.length)}
        </span>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </header>
      {error !== null && (
        <p className="error" role="alert" data-testid="library-error">
          {error}
          {settingsCanFix && (
            <>
              {' '}
              <button type="button" onClick={onOpenSettings}>
                Storage settings…
              </button>
            </>
          )}
        </p>
      )}
      {!loading && tracks.length === 0 && error === null && (
        <p className="empty-state">
          Drop audio files or folders anywhere on this window to upload them.
        </p>
      )}
      {tracks.length > 0 && (
        <TrackTable
          tracks={tracks}
          currentKey={currentKey}
          undecodableKeys={undecodableKeys}
          onPlay={onPlay}
          onToggle={onToggle}
        />
      )}
    </section>
  );
}

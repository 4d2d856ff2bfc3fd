import type { ReactElement } from 'react';

import type { Track } from '../../../../shared/contract';
import { formatDuration } from '../../ui/format';
import { formatOfTrack, trackCount } from './track-format';
import type { LibraryState } from './use-library';

/** Props of {@link LibraryView}. */
export interface LibraryViewProps {
  library: LibraryState;
  currentKey: string | null;
  onPlay: (track: Track) => void;
  onOpenSettings: () => void;
}

/** Table of every track, in library order; a click plays the track. */
export function LibraryView({
  library,
  currentKey,
  onPlay,
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
        <table className="tracks">
          <colgroup>
            <col className="number-column" />
            <col className="title-column" />
            <col />
            <col />
            <col className="format-column" />
            <col className="time-column" />
          </colgroup>
          <thead>
            <tr>
              <th className="number">#</th>
              <th>Title</th>
              <th>Artist</th>
              <th>Album</th>
              <th>Format</th>
              <th className="number">Time</th>
            </tr>
          </thead>
          <tbody>
            {tracks.map((track) => (
              <tr
                key={track.key}
                data-key={track.key}
                className={track.key === currentKey ? 'current' : undefined}
                onClick={() => onPlay(track)}
                onKeyDown={(event) => event.key === 'Enter' && onPlay(track)}
                tabIndex={0}
                aria-current={track.key === currentKey ? 'true' : undefined}
              >
                <td className="number">{track.trackNumber ?? ''}</td>
                <td className="title" title={track.key}>
                  {track.title}
                  {track.titleFromFileName && <span className="muted"> (file name)</span>}
                </td>
                <td className="artist" title={track.artist ?? undefined}>
                  {track.artist ?? ''}
                </td>
                <td className="album" title={track.album ?? undefined}>
                  {track.album ?? ''}
                </td>
                <td className="format" title={track.contentType ?? undefined}>
                  {formatOfTrack(track)}
                </td>
                <td className="number duration">{formatDuration(track.durationSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

import { useRef, useState } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';

import type { Track } from '../../../../shared/contract';
import { formatDuration } from '../../ui/format';
import { browserCannotPlay, folderOfTrack, formatOfTrack } from './track-format';

/** Props of {@link TrackTable}. */
export interface TrackTableProps {
  tracks: Track[];
  currentKey: string | null;
  /** Keys of tracks that failed to play because this player cannot decode their format. */
  undecodableKeys: ReadonlySet<string>;
  onPlay: (track: Track) => void;
  /** Pauses or resumes the current track. */
  onToggle: () => void;
}

// Rows that Page Up and Page Down move by.
const PAGE_ROWS = 10;

/**
 * Table of tracks, one Tab stop in all: the arrow keys, Home, End, Page Up and Page Down move
 * between rows, Enter plays the focused row, and Space plays it or, on the current track, pauses
 * and resumes it. A click plays the track.
 */
export function TrackTable({
  tracks,
  currentKey,
  undecodableKeys,
  onPlay,
  onToggle,
}: TrackTableProps): ReactElement {
  const body = useRef<HTMLTableSectionElement>(null);
  const [focusedKey, setFocusedKey] = useState<string | null>(null);
  const tabStop = tabStopOf(tracks, focusedKey, currentKey);

  const focusRow = (index: number): void => {
    const bounded = Math.min(Math.max(0, index), tracks.length - 1);
    const track = tracks[bounded];
    if (track === undefined) {
      return;
    }
    setFocusedKey(track.key);
    body.current?.rows[bounded]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, index: number): void => {
    const track = tracks[index];
    if (track === undefined || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + PAGE_ROWS,
      PageUp: index - PAGE_ROWS,
      Home: 0,
      End: tracks.length - 1,
    };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      focusRow(target);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      onPlay(track);
    } else if (event.key === ' ') {
      // Space would scroll the list otherwise.
      event.preventDefault();
      if (track.key === currentKey) {
        onToggle();
      } else {
        onPlay(track);
      }
    }
  };

  return (
    <table className="tracks" role="grid" aria-label="Tracks" aria-rowcount={tracks.length + 1}>
      <colgroup>
        <col className="number-column" />
        <col className="title-column" />
        <col className="artist-column" />
        <col className="album-column" />
        <col className="format-column" />
        <col className="time-column" />
      </colgroup>
      <thead>
        <tr>
          <th className="number">#</th>
          <th>Title</th>
          <th className="artist">Artist</th>
          <th className="album">Album</th>
          <th className="format">Format</th>
          <th className="number duration">Time</th>
        </tr>
      </thead>
      <tbody ref={body}>
        {tracks.map((track, index) => (
          <TrackRow
            key={track.key}
            track={track}
            current={track.key === currentKey}
            tabStop={track.key === tabStop}
            undecodable={undecodableKeys.has(track.key) || browserCannotPlay(track.contentType)}
            onClick={() => onPlay(track)}
            onFocus={() => setFocusedKey(track.key)}
            onKeyDown={(event) => onKeyDown(event, index)}
          />
        ))}
      </tbody>
    </table>
  );
}

function TrackRow({
  track,
  current,
  tabStop,
  undecodable,
  onClick,
  onFocus,
  onKeyDown,
}: {
  track: Track;
  current: boolean;
  tabStop: boolean;
  undecodable: boolean;
  onClick: () => void;
  onFocus: () => void;
  onKeyDown: (event: KeyboardEvent<HTMLTableRowElement>) => void;
}): ReactElement {
  const folder = folderOfTrack(track.key);
  const format = formatOfTrack(track);
  const classes = [current ? 'current' : '', undecodable ? 'undecodable' : ''].join(' ').trim();
  return (
    <tr
      data-key={track.key}
      data-undecodable={undecodable ? 'true' : undefined}
      className={classes === '' ? undefined : classes}
      onClick={onClick}
      onFocus={onFocus}
      onKeyDown={onKeyDown}
      tabIndex={tabStop ? 0 : -1}
      aria-current={current ? 'true' : undefined}
    >
      <td className="number">{track.trackNumber ?? ''}</td>
      <td className="title-cell">
        <span className="title" title={track.key}>
          {track.title}
          {track.titleFromFileName && <span className="muted"> (file name)</span>}
        </span>
        {(folder !== '' || undecodable) && (
          <span className="track-detail">
            {folder !== '' && (
              <span className="folder" data-testid="track-folder" title={`tracks/${folder}/`}>
                {folder}
              </span>
            )}
            {undecodable && (
              <span className="track-note" data-testid="track-note">
                {format === '' ? 'format' : format} does not play in this player
              </span>
            )}
          </span>
        )}
      </td>
      <td className="artist" title={track.artist ?? undefined}>
        {track.artist ?? ''}
      </td>
      <td className="album" title={track.album ?? undefined}>
        {track.album ?? ''}
      </td>
      <td className="format" title={track.contentType ?? undefined}>
        {format}
      </td>
      <td className="number duration">{formatDuration(track.durationSeconds)}</td>
    </tr>
  );
}

// The row that Tab reaches: the one last focused, else the current track, else the first.
function tabStopOf(tracks: Track[], focusedKey: string | null, currentKey: string | null): string {
  const listed = (key: string | null): key is string =>
    key !== null && tracks.some((track) => track.key === key);
  if (listed(focusedKey)) {
    return focusedKey;
  }
  if (listed(currentKey)) {
    return currentKey;
  }
  return tracks[0]?.key ?? '';
}

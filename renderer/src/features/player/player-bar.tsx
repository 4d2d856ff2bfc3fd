import type { KeyboardEvent, ReactElement, RefObject } from 'react';

import { formatDuration } from '../../ui/format';
import { Icon } from '../../ui/icons';
import type { PlayerController, PlayerState } from './player-controller';

/** Props of {@link PlayerBar}. */
export interface PlayerBarProps {
  state: PlayerState;
  controller: PlayerController | null;
  waveformRef: RefObject<HTMLDivElement | null>;
  audioRef: RefObject<HTMLAudioElement | null>;
}

// Seconds that the arrow keys move the playback position by.
const ARROW_SEEK_SECONDS = 5;

/**
 * Transport controls, waveform, volume and the delivery path of the current track. The waveform
 * is a slider: the arrow keys seek 5 s back or ahead, Home and End go to the start and the end.
 */
export function PlayerBar({
  state,
  controller,
  waveformRef,
  audioRef,
}: PlayerBarProps): ReactElement {
  const { track, status, error, delivery, position, duration } = state;
  const playing = status === 'playing';

  const onWaveformKey = (event: KeyboardEvent<HTMLDivElement>): void => {
    const target = seekTargetOf(event.key, position, duration);
    if (target === null || controller === null || track === null) {
      return;
    }
    event.preventDefault();
    controller.seek(target);
  };

  return (
    <footer className="player" aria-label="Player">
      <audio ref={audioRef} preload="metadata" data-testid="audio" />
      <div className="transport">
        <button
          type="button"
          aria-label="Previous"
          onClick={() => void controller?.previous()}
          // On the first track, Previous still restarts it, as in most players.
          disabled={track === null}
        >
          <Icon name="previous" />
        </button>
        <button
          type="button"
          className="play"
          aria-label={playing ? 'Pause' : 'Play'}
          onClick={() => void controller?.toggle()}
          disabled={track === null}
        >
          <Icon name={playing ? 'pause' : 'play'} />
        </button>
        <button
          type="button"
          aria-label="Next"
          onClick={() => void controller?.next()}
          disabled={!state.hasNext}
        >
          <Icon name="next" />
        </button>
      </div>
      <div className="now-playing">
        <div className="now-playing-text">
          <strong data-testid="now-playing-title">{track?.title ?? 'Nothing playing'}</strong>
          {track?.artist != null && <span className="muted"> — {track.artist}</span>}
          {delivery !== null && (
            <span
              className={`badge via-${delivery.via}`}
              data-testid="delivery"
              title={delivery.fallbackReason ?? undefined}
            >
              {delivery.via === 'cloudfront' ? 'via CloudFront' : 'via S3'}
              {delivery.fallbackReason !== null && ' (fallback)'}
            </span>
          )}
          {status === 'loading' && <span className="muted"> loading…</span>}
        </div>
        <div className="waveform-row">
          <span className="time" data-testid="position">
            {formatDuration(position)}
          </span>
          <div
            className="waveform"
            ref={waveformRef}
            data-testid="waveform"
            role="slider"
            tabIndex={track === null ? -1 : 0}
            aria-label="Playback position"
            aria-disabled={track === null}
            aria-valuemin={0}
            aria-valuemax={Math.round(duration)}
            aria-valuenow={Math.round(position)}
            aria-valuetext={`${formatDuration(position)} of ${formatDuration(duration || null)}`}
            onKeyDown={onWaveformKey}
          />
          <span className="time" data-testid="duration">
            {formatDuration(duration || null)}
          </span>
        </div>
        {delivery?.fallbackReason != null && (
          <p className="muted small">{delivery.fallbackReason}</p>
        )}
        {error !== null && (
          <p className="error" role="alert" data-testid="player-error">
            {error}
          </p>
        )}
      </div>
      <label className="volume">
        <Icon name="volume" />
        <input
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={state.volume}
          aria-label="Volume"
          onChange={(event) => controller?.setVolume(Number(event.target.value))}
        />
      </label>
    </footer>
  );
}

function seekTargetOf(key: string, position: number, duration: number): number | null {
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return Math.max(0, position - ARROW_SEEK_SECONDS);
    case 'ArrowRight':
    case 'ArrowUp':
      return Math.min(duration, position + ARROW_SEEK_SECONDS);
    case 'Home':
      return 0;
    case 'End':
      return duration;
    default:
      return null;
  }
}

import type { ReactElement, RefObject } from 'react';

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

/** Transport controls, waveform, volume and the delivery path of the current track. */
export function PlayerBar({
  state,
  controller,
  waveformRef,
  audioRef,
}: PlayerBarProps): ReactElement {
  const { track, status, error, delivery } = state;
  const playing = status === 'playing';
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
            {formatDuration(state.position)}
          </span>
          <div className="waveform" ref={waveformRef} data-testid="waveform" />
          <span className="time">{formatDuration(state.duration || null)}</span>
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

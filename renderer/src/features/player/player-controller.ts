import type { CrateboxApi, PlayableUrl, Track } from '../../../../shared/contract';
import { MediaTimeline } from './media-timeline';
import { TimelineWaveSurfer } from './timeline-wavesurfer';

/** State of the player, as the player bar shows it. */
export interface PlayerState {
  track: Track | null;
  status: 'idle' | 'loading' | 'playing' | 'paused' | 'error';
  /** Reason playback failed, in words a listener can act on. */
  error: string | null;
  /** Delivery path of the URL in use and why the fallback is used, if it is. */
  delivery: Pick<PlayableUrl, 'via' | 'fallbackReason'> | null;
  /** Playback position in seconds, on the timeline of the stored duration when there is one. */
  position: number;
  /** Length in seconds: the duration measured at upload when known, else the element's. */
  duration: number;
  volume: number;
  /** Whether the queue has a track after the current one. */
  hasNext: boolean;
  /** Keys of tracks that failed to play because this player cannot decode their format. */
  undecodableKeys: ReadonlySet<string>;
}

type Listener = (state: PlayerState) => void;

/** State before anything was played. */
export const IDLE_PLAYER_STATE: PlayerState = {
  track: null,
  status: 'idle',
  error: null,
  delivery: null,
  position: 0,
  duration: 0,
  volume: 0.8,
  hasNext: false,
  undecodableKeys: new Set(),
};

// A URL this close to its expiry is replaced before playback resumes from a pause.
const REFRESH_MARGIN_MS = 15_000;
// More failures than this within the window mean recovery is not working; the error is shown.
const MAX_RECOVERIES = 3;
// HTMLMediaElement.HAVE_FUTURE_DATA: below it the element cannot play forward.
const HAVE_FUTURE_DATA = 3;
const RECOVERY_WINDOW_MS = 30_000;
// Placeholder waveform for tracks stored without peaks, so the file is never downloaded to draw one.
const FLAT_PEAKS = [[0, 0]];

/**
 * Plays tracks from signed URLs through one media element (HTTP Range streaming) and draws them
 * with wavesurfer.js from stored peaks. When a URL fails (expired, or refused by CloudFront) it
 * requests another from the main process and resumes at the same second.
 *
 * A URL fails in two ways. When its first request is rejected (a 403, say), the element fires
 * `error` at once. When a later Range request is rejected (after a seek past the buffered data,
 * or a dropped connection), Chromium 156 retries it for about 30 s and fires `error` only then.
 * It fires `stalled` once 3 s pass without data and without playback, because playing from the
 * buffer counts as progress. So a stall that keeps the element from playing starts recovery too.
 */
export class PlayerController {
  private readonly wavesurfer: TimelineWaveSurfer;
  private readonly timeline: MediaTimeline;
  private readonly listeners = new Set<Listener>();
  private readonly peaksCache = new Map<string, { peaks: number[][]; duration: number | null }>();
  private state: PlayerState;
  private queue: Track[] = [];
  private url: PlayableUrl | null = null;
  private wantsToPlay = false;
  private recovering = false;
  /** Set when the element fails while a recovery is loading, so that failure is not lost. */
  private failedWhileRecovering = false;
  /** Set when the last recovery answered "format not supported" with a working URL. */
  private lastRecoveryWasUnsupported = false;
  private recoveryTimes: number[] = [];
  private loadGeneration = 0;

  constructor(
    private readonly api: CrateboxApi,
    private readonly media: HTMLAudioElement,
    container: HTMLElement,
  ) {
    const volume = Number(localStorage.getItem('cratebox.volume') ?? '0.8');
    media.volume = Number.isFinite(volume) ? volume : 0.8;
    this.state = { ...IDLE_PLAYER_STATE, volume: media.volume };

    // The media element can misjudge a track's length (see MediaTimeline), so the waveform, the
    // position and seeks follow the duration measured at upload.
    this.timeline = new MediaTimeline(media);
    this.wavesurfer = new TimelineWaveSurfer(
      {
        container,
        media,
        height: 56,
        waveColor: '#5b6b86',
        progressColor: '#f0a33a',
        cursorColor: '#ffd08a',
        barWidth: 2,
        barGap: 1,
        normalize: true,
        dragToSeek: true,
      },
      this.timeline,
    );

    media.addEventListener('timeupdate', () => this.update({ position: this.timeline.position() }));
    // A seek into data not yet loaded updates currentTime at once but fires no timeupdate until
    // the data arrives, which never happens when the URL is rejected.
    media.addEventListener('seeking', () => this.update({ position: this.timeline.position() }));
    media.addEventListener('durationchange', () => {
      if (this.state.track !== null) {
        this.update({ duration: this.timeline.duration() });
      }
    });
    media.addEventListener('playing', () => this.update({ status: 'playing', error: null }));
    media.addEventListener('pause', () => {
      if (this.state.status === 'playing') {
        this.update({ status: 'paused' });
      }
    });
    media.addEventListener('ended', () => void this.next());
    media.addEventListener('error', () => void this.recover('error'));
    media.addEventListener('stalled', () => {
      if (this.isBlocked()) {
        void this.recover('stall');
      }
    });
  }

  /** Subscribes to state changes; returns the function that unsubscribes. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /** Plays `track`; `queue` (the library order) drives next and previous. */
  async play(track: Track, queue: Track[]): Promise<void> {
    this.queue = queue;
    this.recoveryTimes = [];
    this.lastRecoveryWasUnsupported = false;
    this.wantsToPlay = true;
    this.timeline.startTrack(track.durationSeconds);
    this.update({
      track,
      status: 'loading',
      error: null,
      position: 0,
      duration: track.durationSeconds ?? 0,
      ...this.neighbours(track),
    });
    const format = track.contentType;
    if (format !== null && this.media.canPlayType(format) === '') {
      this.media.pause();
      this.url = null;
      this.failUndecodable(track);
      return;
    }
    try {
      const url = await this.api.invoke('player.url', { key: track.key });
      await this.load(url, 0);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Replaces the queue, e.g. when the library was listed again, so next and previous follow the
   * tracks shown. A current track missing from it has neither.
   */
  setQueue(queue: Track[]): void {
    this.queue = queue;
    this.update(this.neighbours(this.state.track));
  }

  /** Pauses, or resumes with a fresh URL when the current one is about to expire. */
  async toggle(): Promise<void> {
    const { track } = this.state;
    if (track === null) {
      return;
    }
    if (this.state.status === 'error') {
      await this.play(track, this.queue);
      return;
    }
    if (!this.media.paused) {
      this.wantsToPlay = false;
      this.media.pause();
      return;
    }

    this.wantsToPlay = true;
    if (this.url === null || Date.parse(this.url.expiresAt) - Date.now() < REFRESH_MARGIN_MS) {
      try {
        const url = await this.api.invoke('player.url', { key: track.key });
        await this.load(url, this.state.position);
      } catch (error) {
        this.fail(error);
      }
      return;
    }
    await this.resume();
  }

  /** Plays the next track of the queue, if any. */
  async next(): Promise<void> {
    const following = this.neighbour(1);
    if (following !== null) {
      await this.play(following, this.queue);
    } else {
      this.wantsToPlay = false;
      this.update({ status: 'paused' });
    }
  }

  /** Restarts the track, or plays the previous one when near its start. */
  async previous(): Promise<void> {
    const preceding = this.neighbour(-1);
    if (this.timeline.position() > 3 || preceding === null) {
      this.seek(0);
      return;
    }
    await this.play(preceding, this.queue);
  }

  /** Moves playback to second `seconds` of the timeline, within the track. */
  seek(seconds: number): void {
    if (this.state.track === null) {
      return;
    }
    // NOTE: Chromium seeks in an MP3 without a Xing or VBRI table by byte offset. The timeline
    // sends it to the same fraction of the file, so in a VBR file of that kind the audio can
    // still land a second or so away from the waveform position.
    this.wavesurfer.setTime(seconds);
    this.update({ position: this.timeline.position() });
  }

  /** Sets the volume in [0, 1] and remembers it. */
  setVolume(volume: number): void {
    this.media.volume = Math.min(1, Math.max(0, volume));
    localStorage.setItem('cratebox.volume', String(this.media.volume));
    this.update({ volume: this.media.volume });
  }

  /** Releases the waveform and stops playback. */
  destroy(): void {
    this.media.pause();
    this.wavesurfer.destroy();
    this.listeners.clear();
  }

  private async load(url: PlayableUrl, startAt: number): Promise<void> {
    const generation = ++this.loadGeneration;
    const peaks = await this.peaksOf(url.key);
    if (generation !== this.loadGeneration) {
      return;
    }

    this.url = url;
    const duration = peaks.duration ?? this.state.track?.durationSeconds ?? undefined;
    this.timeline.setStoredDuration(duration ?? null);
    this.update({
      delivery: { via: url.via, fallbackReason: url.fallbackReason },
      duration: this.timeline.duration(),
    });
    // wavesurfer keeps a source it already has, but an element that failed must fetch it again.
    const sameSource = this.media.src === url.url;
    await this.wavesurfer.load(url.url, peaks.peaks, duration);
    if (generation !== this.loadGeneration) {
      return;
    }
    if (sameSource) {
      this.media.load();
    }

    // Before metadata arrives the element keeps this as its start position, so the first Range
    // request already fetches the bytes at `startAt`.
    this.timeline.seek(startAt);
    if (this.wantsToPlay) {
      // Not awaited: play() settles only once playback starts, and a recovery must be able to
      // start again before then if the new URL fails too.
      void this.resume();
    } else {
      this.update({ status: 'paused' });
    }
  }

  private async resume(): Promise<void> {
    try {
      await this.media.play();
    } catch (error) {
      // A load superseded by another track rejects play() with AbortError, which is no failure.
      // A source that failed to load rejects it with NotSupportedError, and the element's `error`
      // event, fired just before, recovers or reports that failure in words of its own.
      const handledElsewhere =
        error instanceof DOMException &&
        (error.name === 'AbortError' || error.name === 'NotSupportedError');
      if (!handledElsewhere) {
        this.fail(error);
      }
    }
  }

  // Whether the element waits for data it is not getting: it cannot play forward, and playback
  // or a seek is pending.
  private isBlocked(): boolean {
    return this.media.readyState < HAVE_FUTURE_DATA && (this.wantsToPlay || this.media.seeking);
  }

  private async recover(cause: 'error' | 'stall'): Promise<void> {
    const { track } = this.state;
    const failed = this.url;
    if (track === null || failed === null) {
      return;
    }
    if (this.recovering) {
      this.failedWhileRecovering ||= cause === 'error';
      return;
    }

    // Chromium reports an undecodable source and a refused first request with the same code. A
    // second one from a fresh URL that the main process found working means the format.
    const unsupported =
      cause === 'error' && this.media.error?.code === MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED;
    if (unsupported && this.lastRecoveryWasUnsupported) {
      this.failUndecodable(track);
      return;
    }
    if (cause === 'error' && this.media.error?.code === MediaError.MEDIA_ERR_DECODE) {
      this.fail(new Error(mediaErrorText(this.media.error)));
      return;
    }

    const now = Date.now();
    this.recoveryTimes = this.recoveryTimes.filter((time) => now - time < RECOVERY_WINDOW_MS);
    if (this.recoveryTimes.length >= MAX_RECOVERIES) {
      // A stall can still end on its own, and the element fires `error` if it does not.
      if (cause === 'error') {
        this.fail(
          new Error(`${mediaErrorText(this.media.error)}; retried ${MAX_RECOVERIES} times`),
        );
      }
      return;
    }
    this.recoveryTimes.push(now);

    this.recovering = true;
    // currentTime is the pending seek target while a seek waits for data, and the start
    // position while a source loads, so playback resumes where the listener last put it.
    const position = this.timeline.position();
    this.update({ status: 'loading', position });
    this.failedWhileRecovering = false;
    try {
      const url = await this.api.invoke('player.url', { key: track.key, failedUrl: failed.url });
      if (this.state.track !== track) {
        return;
      }
      this.lastRecoveryWasUnsupported = unsupported && url.via === failed.via;
      await this.load(url, position);
    } catch (error) {
      this.fail(error);
    } finally {
      this.recovering = false;
    }

    if (this.failedWhileRecovering && this.state.track === track) {
      this.failedWhileRecovering = false;
      await this.recover('error');
    }
  }

  private async peaksOf(key: string): Promise<{ peaks: number[][]; duration: number | null }> {
    const cached = this.peaksCache.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const stored = await this.api.invoke('library.peaks', { key }).catch(() => null);
    const peaks =
      stored === null
        ? { peaks: FLAT_PEAKS, duration: null }
        : { peaks: stored.peaks, duration: stored.durationSeconds };
    this.peaksCache.set(key, peaks);
    return peaks;
  }

  private neighbour(step: number): Track | null {
    const current = this.state.track;
    const index = this.queue.findIndex((track) => track.key === current?.key);
    return index === -1 ? null : (this.queue[index + step] ?? null);
  }

  private neighbours(track: Track | null): Pick<PlayerState, 'hasNext'> {
    const index = track === null ? -1 : this.queue.findIndex((item) => item.key === track.key);
    return { hasNext: index !== -1 && index < this.queue.length - 1 };
  }

  private failUndecodable(track: Track): void {
    this.update({ undecodableKeys: new Set(this.state.undecodableKeys).add(track.key) });
    this.fail(new Error(unsupportedFormatText(track.contentType)));
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.update({
      status: 'error',
      error: `Cannot play ${this.state.track?.title ?? 'this track'}: ${message}`,
    });
  }

  private update(change: Partial<PlayerState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) {
      listener(this.state);
    }
  }
}

function unsupportedFormatText(contentType: string | null): string {
  return `this player cannot decode ${contentType ?? 'this'} audio; the file itself is stored unchanged and plays in players that support the format`;
}

function mediaErrorText(error: MediaError | null): string {
  switch (error?.code) {
    case MediaError.MEDIA_ERR_NETWORK:
      return 'the audio could not be downloaded';
    case MediaError.MEDIA_ERR_DECODE:
      return 'the audio could not be decoded';
    case MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED:
      return 'the audio format is not supported or the URL was refused';
    default:
      return 'playback stopped with an unknown media error';
  }
}

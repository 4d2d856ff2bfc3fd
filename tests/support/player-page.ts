import type { Page } from 'playwright-core';

/** Record of media element events and player errors since {@link installPlaybackLog}. */
export interface PlaybackLog {
  /** `currentTime` at each `seeking` event, which is where the seek goes. */
  seekTargets: number[];
  /** `currentTime` at each `waiting` event, where playback stopped for lack of data. */
  waitingPositions: number[];
  /** `MediaError` code of each `error` event. */
  mediaErrors: number[];
  /** Each error message the player bar showed, in order. */
  shownErrors: string[];
}

/** Media element facts the browser tests read. */
export interface AudioState {
  currentTime: number;
  duration: number;
  paused: boolean;
  readyState: number;
  /** The `src` attribute exactly as the player set it. */
  src: string | null;
  buffered: [number, number][];
}

declare global {
  interface Window {
    /** Record kept by {@link installPlaybackLog}. */
    playbackLog?: PlaybackLog;
  }
}

// HTMLMediaElement.HAVE_FUTURE_DATA: enough data to play forward from the current position.
const HAVE_FUTURE_DATA = 3;

/**
 * Starts recording seeks, media errors and player error messages in the page. A message that
 * shows for a moment is recorded too, because a mutation observer is notified of every render.
 */
export async function installPlaybackLog(page: Page): Promise<void> {
  await page.evaluate(() => {
    const audio = document.querySelector('audio');
    if (audio === null) {
      throw new Error('the page has no audio element');
    }
    const log: PlaybackLog = {
      seekTargets: [],
      waitingPositions: [],
      mediaErrors: [],
      shownErrors: [],
    };
    window.playbackLog = log;
    audio.addEventListener('seeking', () => log.seekTargets.push(audio.currentTime));
    audio.addEventListener('waiting', () => log.waitingPositions.push(audio.currentTime));
    audio.addEventListener('error', () => log.mediaErrors.push(audio.error?.code ?? 0));

    const observer = new MutationObserver(() => {
      const text = document.querySelector('[data-testid=player-error]')?.textContent ?? null;
      if (text !== null && log.shownErrors.at(-1) !== text) {
        log.shownErrors.push(text);
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}

/** Returns a copy of the page's playback log. */
export async function readPlaybackLog(page: Page): Promise<PlaybackLog> {
  const log = await page.evaluate(() => window.playbackLog);
  if (log === undefined) {
    throw new Error('installPlaybackLog() was not called on this page');
  }
  return log;
}

/** Reads the media element's position, state, source and buffered ranges. */
export async function readAudio(page: Page): Promise<AudioState> {
  return page.evaluate(() => {
    const audio = document.querySelector('audio');
    if (audio === null) {
      throw new Error('the page has no audio element');
    }
    const buffered: [number, number][] = [];
    for (let index = 0; index < audio.buffered.length; index += 1) {
      buffered.push([audio.buffered.start(index), audio.buffered.end(index)]);
    }
    return {
      currentTime: audio.currentTime,
      duration: audio.duration,
      paused: audio.paused,
      readyState: audio.readyState,
      src: audio.getAttribute('src'),
      buffered,
    };
  });
}

/** Clicks the library row of `key`, which starts playing it. */
export async function clickTrack(page: Page, key: string): Promise<void> {
  const index = await page.$$eval(
    'tr[data-key]',
    (rows, wanted) => rows.findIndex((row) => row.getAttribute('data-key') === wanted),
    key,
  );
  if (index === -1) {
    throw new Error(`the library lists no row for ${key}`);
  }
  await page.locator('tr[data-key]').nth(index).click();
}

/**
 * Clicks the waveform where `seconds` lies, as a listener seeks, and returns the position the
 * media element was sent to (the click lands on a pixel, so it differs by a fraction of a second).
 */
export async function seekWithWaveform(page: Page, seconds: number): Promise<number> {
  const { duration } = await readAudio(page);
  const box = await page.getByTestId('waveform').boundingBox();
  if (box === null) {
    throw new Error('the waveform is not visible');
  }
  const seeksBefore = (await readPlaybackLog(page)).seekTargets.length;

  await page.mouse.click(box.x + (box.width * seconds) / duration, box.y + box.height / 2);
  await page.waitForFunction(
    (count) => (window.playbackLog?.seekTargets.length ?? 0) > count,
    seeksBefore,
  );
  const { seekTargets } = await readPlaybackLog(page);
  return seekTargets[seeksBefore] ?? Number.NaN;
}

/**
 * Waits until the element plays from a source other than `previousSrc` (any source when null)
 * with data to play forward, then returns the state at that moment.
 */
export async function waitForPlaying(
  page: Page,
  previousSrc: string | null,
  timeout: number,
): Promise<AudioState> {
  await page.waitForFunction(
    ({ previous, ready }) => {
      const audio = document.querySelector('audio');
      return (
        audio !== null &&
        !audio.paused &&
        audio.readyState >= ready &&
        audio.getAttribute('src') !== previous
      );
    },
    { previous: previousSrc, ready: HAVE_FUTURE_DATA },
    { timeout },
  );
  return readAudio(page);
}

/** Waits until `currentTime` passes `seconds` and returns the position then. */
export async function waitForPositionPast(page: Page, seconds: number): Promise<number> {
  await page.waitForFunction(
    (past) => (document.querySelector('audio')?.currentTime ?? 0) > past,
    seconds,
  );
  return (await readAudio(page)).currentTime;
}

/**
 * Returns how far `seconds` lies from the nearest buffered range, in seconds; 0 when buffered.
 * A seek there reads data the element does not hold, so it needs a Range request.
 */
export function distanceFromBuffered(state: AudioState, seconds: number): number {
  const distances = state.buffered.map((range) => distanceToRange(seconds, range));
  return Math.min(...distances, Number.POSITIVE_INFINITY);
}

function distanceToRange(seconds: number, [start, end]: [number, number]): number {
  if (seconds < start) {
    return start - seconds;
  }
  return seconds > end ? seconds - end : 0;
}

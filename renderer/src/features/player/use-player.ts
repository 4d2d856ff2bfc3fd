import { useEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

import { useShell } from '../../api/shell-context';
import { IDLE_PLAYER_STATE, PlayerController } from './player-controller';
import type { PlayerState } from './player-controller';

/** Creates the player controller once its media element and waveform container are mounted. */
export function usePlayer(): {
  state: PlayerState;
  controller: PlayerController | null;
  audioRef: RefObject<HTMLAudioElement | null>;
  waveformRef: RefObject<HTMLDivElement | null>;
} {
  const { api } = useShell();
  const audioRef = useRef<HTMLAudioElement | null>(null);
  const waveformRef = useRef<HTMLDivElement | null>(null);
  const [controller, setController] = useState<PlayerController | null>(null);
  const [state, setState] = useState<PlayerState>(IDLE_PLAYER_STATE);

  useEffect(() => {
    const audio = audioRef.current;
    const waveform = waveformRef.current;
    if (audio === null || waveform === null) {
      return;
    }
    const created = new PlayerController(api, audio, waveform);
    const unsubscribe = created.subscribe(setState);
    setController(created);
    return () => {
      unsubscribe();
      created.destroy();
    };
  }, [api]);

  return { state, controller, audioRef, waveformRef };
}

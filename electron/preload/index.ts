import { contextBridge, ipcRenderer, webUtils } from 'electron';

import { IPC_CHANNELS } from '../../shared/transport';
import type {
  CrateboxApi,
  EventName,
  Events,
  Method,
  Reply,
  RequestOf,
  Results,
} from '../../shared/contract';

/**
 * API the preload exposes as `window.cratebox`. A failed call resolves to its reply instead of
 * throwing, because contextBridge keeps only the message of a thrown error. The renderer needs the
 * error's name.
 */
export interface DesktopBridge {
  invoke<M extends Method>(method: M, request: RequestOf<M>): Promise<Reply<Results[M]>>;
  on: CrateboxApi['on'];
  /** Returns the local path of a dropped or picked file (File.path no longer exists in Electron). */
  pathForFile(file: File): string;
}

const bridge: DesktopBridge = {
  async invoke(method, request) {
    return (await ipcRenderer.invoke(IPC_CHANNELS.invoke, method, request)) as Reply<never>;
  },

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    const forward = (_sender: unknown, name: EventName, payload: Events[E]): void => {
      if (name === event) {
        listener(payload);
      }
    };
    ipcRenderer.on(IPC_CHANNELS.event, forward);
    return () => ipcRenderer.off(IPC_CHANNELS.event, forward);
  },

  pathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
};

contextBridge.exposeInMainWorld('cratebox', bridge);

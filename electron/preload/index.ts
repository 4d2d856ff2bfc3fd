import { contextBridge, ipcRenderer, webUtils } from 'electron';

import { IPC_CHANNELS } from '../../shared/transport';
import type { CrateboxApi, EventName, Events, Reply } from '../../shared/contract';
import { errorFromPayload } from '../../shared/errors';

/** What the preload exposes as `window.cratebox`: the typed API plus file-drop path lookup. */
export interface DesktopBridge extends CrateboxApi {
  /** Returns the local path of a dropped or picked file (File.path no longer exists in Electron). */
  pathForFile(file: File): string;
}

const bridge: DesktopBridge = {
  async invoke(method, request) {
    const reply = (await ipcRenderer.invoke(IPC_CHANNELS.invoke, method, request)) as Reply<never>;
    if (!reply.ok) {
      throw errorFromPayload(reply.error);
    }
    return reply.result;
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

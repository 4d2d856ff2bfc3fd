import type { CrateboxApi, Method, Reply, RequestOf, Results } from '../../../shared/contract';
import { errorFromPayload } from '../../../shared/errors';
import { ALWAYS_OPEN } from './connection';
import type { Connection } from './connection';
import { createSocketApi } from './socket-api';

/**
 * The desktop bridge the Electron preload exposes as `window.cratebox`. Its calls resolve to
 * replies, so that a failure keeps its error name across contextBridge.
 */
export interface DesktopBridge {
  invoke<M extends Method>(method: M, request: RequestOf<M>): Promise<Reply<Results[M]>>;
  on: CrateboxApi['on'];
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    cratebox?: DesktopBridge;
  }
}

/**
 * The API, the state of its connection, and the shell it runs in: Electron (file paths available)
 * or a browser (web mode).
 */
export type Shell =
  | { kind: 'electron'; api: CrateboxApi; connection: Connection; bridge: DesktopBridge }
  | { kind: 'web'; api: CrateboxApi; connection: Connection };

/** Picks the Electron preload bridge when present, else the web-mode socket. */
export function connectShell(): Shell {
  const bridge = window.cratebox;
  if (bridge !== undefined) {
    return { kind: 'electron', api: apiOverBridge(bridge), connection: ALWAYS_OPEN, bridge };
  }
  return { kind: 'web', ...createSocketApi(window.location) };
}

function apiOverBridge(bridge: DesktopBridge): CrateboxApi {
  return {
    async invoke(method, request) {
      const reply = await bridge.invoke(method, request);
      if (!reply.ok) {
        throw errorFromPayload(reply.error);
      }
      return reply.result;
    },
    on: (event, listener) => bridge.on(event, listener),
  };
}

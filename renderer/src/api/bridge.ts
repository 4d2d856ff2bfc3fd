import type { CrateboxApi } from '../../../shared/contract';
import { ALWAYS_OPEN } from './connection';
import type { Connection } from './connection';
import { createSocketApi } from './socket-api';

/** The desktop bridge the Electron preload exposes as `window.cratebox`. */
export interface DesktopBridge extends CrateboxApi {
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
    return { kind: 'electron', api: bridge, connection: ALWAYS_OPEN, bridge };
  }
  return { kind: 'web', ...createSocketApi(window.location) };
}

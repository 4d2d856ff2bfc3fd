import type { CrateboxApi } from '../../../shared/contract';
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

/** The API and the shell it runs in: Electron (file paths available) or a browser (web mode). */
export type Shell =
  { kind: 'electron'; api: CrateboxApi; bridge: DesktopBridge } | { kind: 'web'; api: CrateboxApi };

/** Picks the Electron preload bridge when present, else the web-mode socket. */
export function connectShell(): Shell {
  const bridge = window.cratebox;
  if (bridge !== undefined) {
    return { kind: 'electron', api: bridge, bridge };
  }
  return { kind: 'web', api: createSocketApi(window.location) };
}

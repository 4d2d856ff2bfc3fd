import type { DesktopBridge } from '../../electron/preload/index';

declare global {
  interface Window {
    /** The preload bridge, present in the Electron window only. */
    cratebox?: DesktopBridge;
  }
}

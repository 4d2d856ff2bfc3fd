import { join } from 'node:path';

import { BrowserWindow, app, dialog, ipcMain, safeStorage, shell } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import ElectronStore from 'electron-store';

import { IPC_CHANNELS } from '../../shared/transport';
import { createAppServices } from './app-services';
import type { AppServices } from './app-services';
import { prepareDataDir, resolveDataDir } from './data-dir';
import { lockDataFolder } from './folder-locks';
import type { FolderLock } from './folder-locks';
import { dispatch } from './ipc/dispatch';
import { createLogger } from './log';
import { createSettingsStore } from './settings/stored-settings';

const logger = createLogger();
let services: AppServices | null = null;
let instance: FolderLock | null = null;

// The data folder can be moved with --data-dir or CRATEBOX_DATA_DIR; Electron's own caches follow.
app.setPath('userData', resolveDataDir(process.argv, process.env));

/** Accepts IPC only from the app's own page, never from a frame that navigated elsewhere. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  const devServer = process.env.ELECTRON_RENDERER_URL;
  return url.startsWith('file://') || (devServer !== undefined && url.startsWith(devServer));
}

async function openWindow(current: AppServices): Promise<void> {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Cratebox',
    // Linux and Windows show it in the title bar and task bar; resources/ sits beside out/.
    icon: join(import.meta.dirname, '../../resources/icon.png'),
    backgroundColor: '#14171c',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });

  const unsubscribe = current.bus.subscribe((event, payload) => {
    if (!window.isDestroyed()) {
      window.webContents.send(IPC_CHANNELS.event, event, payload);
    }
  });
  window.on('closed', unsubscribe);

  // Links open in the system browser; the app window never navigates away from the renderer.
  window.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());

  const devServer = process.env.ELECTRON_RENDERER_URL;
  await (devServer === undefined
    ? window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
    : window.loadURL(devServer));
}

/** Brings the app's window to the front, or opens one where none is left (macOS). */
function showWindow(): void {
  const current = services;
  if (current === null) {
    // The app is still starting, and its window opens once the services are ready.
    return;
  }
  const [window] = BrowserWindow.getAllWindows();
  if (window === undefined) {
    void openWindow(current);
    return;
  }
  if (window.isMinimized()) {
    window.restore();
  }
  window.focus();
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  prepareDataDir(dataDir);
  await app.whenReady();
  // Web mode on the same folder is not covered by Electron's single-instance lock.
  instance = await lockDataFolder(dataDir, 'electron');
  const canEncrypt = safeStorage.isEncryptionAvailable();

  services = await createAppServices({
    dataDir,
    shell: 'electron',
    version: app.getVersion(),
    env: process.env,
    settings: createSettingsStore(new ElectronStore({ cwd: dataDir, name: 'settings' })),
    secrets: {
      encrypt: canEncrypt ? (secret) => safeStorage.encryptString(secret).toString('base64') : null,
      decrypt: canEncrypt
        ? (encrypted) => safeStorage.decryptString(Buffer.from(encrypted, 'base64'))
        : null,
    },
    logger,
    // electron-vite builds the inspection worker next to this entry, in out/main.
    inspectWorker: join(import.meta.dirname, 'inspect-worker.js'),
    async openFileDialog(folders) {
      const result = await dialog.showOpenDialog({
        title: folders ? 'Upload folders' : 'Upload files',
        properties: folders
          ? ['openDirectory', 'multiSelections']
          : ['openFile', 'multiSelections'],
      });
      return result.canceled ? null : result.filePaths;
    },
  });

  const current = services;
  // The library view shows the same problem, and the log keeps a record of it.
  current.checkStorage().catch((error: unknown) => {
    const problem = error instanceof Error ? error.message : String(error);
    logger.error({ problem }, 'the library cannot be read');
  });
  ipcMain.handle(IPC_CHANNELS.invoke, async (event, method: unknown, request: unknown) => {
    if (!isTrustedSender(event)) {
      logger.warn({ url: event.senderFrame?.url }, 'IPC from an untrusted frame rejected');
      return {
        ok: false,
        error: { name: 'InvalidRequest', message: 'IPC is open only to the Cratebox window' },
      };
    }
    return dispatch(current.handlers, method, request, logger);
  });

  await openWindow(current);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      void openWindow(current);
    }
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') {
    app.quit();
  }
});

app.on('will-quit', (event) => {
  if (services !== null) {
    // Pending uploads are persisted by the engine's close, so the next start resumes them.
    event.preventDefault();
    const closing = services;
    services = null;
    void closing
      .close()
      .then(() => instance?.release())
      .finally(() => app.quit());
  }
});

// Electron keys this lock on the userData folder set above, so a second desktop app on the same
// data folder hands its launch to the first one, which shows its window, and quits.
if (app.requestSingleInstanceLock()) {
  app.on('second-instance', showWindow);
  start().catch((error: unknown) => {
    logger.error({ err: error }, 'Cratebox failed to start');
    dialog.showErrorBox(
      'Cratebox cannot start',
      error instanceof Error ? error.message : String(error),
    );
    app.exit(1);
  });
} else {
  logger.info(
    { dataDir: app.getPath('userData') },
    'another Cratebox window uses this data folder; showing that one',
  );
  app.quit();
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';

import type { AppInfo } from '../../shared/contract';
import { useShell } from './api/shell-context';
import { useConnectionState, useOnReconnect } from './api/use-connection';
import { LibraryView } from './features/library/library-view';
import { useLibrary } from './features/library/use-library';
import { PlayerBar } from './features/player/player-bar';
import { usePlayer } from './features/player/use-player';
import { SettingsDialog } from './features/settings/settings-dialog';
import { filesOfInput } from './features/upload/collect-files';
import { DropZone } from './features/upload/drop-zone';
import { TransfersPanel } from './features/upload/transfers-panel';
import { useUploads } from './features/upload/use-uploads';

/** Renders the Cratebox window: library, transfers, player, drop target and settings. */
export function App(): ReactElement {
  const { api } = useShell();
  const library = useLibrary();
  const uploads = useUploads();
  const player = usePlayer();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const connection = useConnectionState();

  const loadInfo = useCallback(() => {
    api.invoke('app.info', {}).then(setInfo, () => undefined);
  }, [api]);
  useOnReconnect(loadInfo);

  useEffect(() => {
    loadInfo();
    return api.on('settings.changed', loadInfo);
  }, [api, loadInfo]);

  const { controller } = player;
  useEffect(() => {
    controller?.setQueue(library.tracks);
  }, [controller, library.tracks]);

  const pick = (folders: boolean): void => {
    if (info?.nativeFilePicker === true) {
      uploads.pickNative(folders);
    } else {
      (folders ? folderInput : fileInput).current?.click();
    }
  };

  const { submitEntries } = uploads;
  const onDrop = useCallback(
    (entries: FileSystemEntry[], files: File[]) => submitEntries(entries, files),
    [submitEntries],
  );

  return (
    <div className="app">
      {connection === 'lost' && (
        <div className="connection-banner" role="status" data-testid="connection-banner">
          Connection lost, reconnecting…
        </div>
      )}
      <header className="topbar">
        <h1>Cratebox</h1>
        {info !== null && (
          <span
            className="badge"
            data-testid="storage-badge"
            title={info.deliveryProblem ?? info.endpoint ?? undefined}
          >
            {info.storage === 'embedded' ? 'Embedded store' : `S3 bucket ${info.bucket}`} ·{' '}
            {deliveryLabel(info)}
          </span>
        )}
        <div className="spacer" />
        <button type="button" onClick={() => pick(false)}>
          Add files…
        </button>
        <button type="button" onClick={() => pick(true)}>
          Add folder…
        </button>
        <button type="button" onClick={() => setSettingsOpen(true)}>
          Settings
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(event) => {
            if (event.target.files !== null) {
              uploads.submitBrowserFiles(filesOfInput(event.target.files));
            }
            event.target.value = '';
          }}
        />
        <input
          ref={folderInput}
          type="file"
          hidden
          data-testid="folder-input"
          {...{ webkitdirectory: '' }}
          onChange={(event) => {
            if (event.target.files !== null) {
              uploads.submitBrowserFiles(filesOfInput(event.target.files));
            }
            event.target.value = '';
          }}
        />
      </header>
      <main className="content">
        <LibraryView
          library={library}
          currentKey={player.state.track?.key ?? null}
          undecodableKeys={player.state.undecodableKeys}
          onPlay={(track) => void player.controller?.play(track, library.tracks)}
          onToggle={() => void player.controller?.toggle()}
          onOpenSettings={() => setSettingsOpen(true)}
        />
        <TransfersPanel uploads={uploads} />
      </main>
      <PlayerBar
        state={player.state}
        controller={player.controller}
        audioRef={player.audioRef}
        waveformRef={player.waveformRef}
      />
      <DropZone onDrop={onDrop} />
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
    </div>
  );
}

// CloudFront that cannot sign (with a bad key, for example) sends every track through S3, and the
// badge shows that.
function deliveryLabel(info: AppInfo): string {
  if (info.delivery === 's3') {
    return 'S3 URLs';
  }
  return info.deliveryProblem === null ? 'CloudFront' : 'S3 URLs (CloudFront unusable)';
}

import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';

import { takeDropEntries } from './collect-files';

/** Props of {@link DropZone}. */
export interface DropZoneProps {
  onDrop: (entries: FileSystemEntry[], topLevelFiles: File[]) => void;
}

/** Accepts files and folders dropped anywhere on the window and shows an overlay while dragging. */
export function DropZone({ onDrop }: DropZoneProps): ReactElement | null {
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    let depth = 0;
    const carriesFiles = (event: DragEvent): boolean =>
      event.dataTransfer?.types.includes('Files') ?? false;

    const enter = (event: DragEvent): void => {
      if (carriesFiles(event)) {
        depth += 1;
        setDragging(true);
      }
    };
    const leave = (): void => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        setDragging(false);
      }
    };
    const over = (event: DragEvent): void => {
      if (carriesFiles(event)) {
        event.preventDefault();
        if (event.dataTransfer !== null) {
          event.dataTransfer.dropEffect = 'copy';
        }
      }
    };
    const drop = (event: DragEvent): void => {
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const transfer = event.dataTransfer;
      if (transfer !== null) {
        onDrop(takeDropEntries(transfer), Array.from(transfer.files));
      }
    };

    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [onDrop]);

  if (!dragging) {
    return null;
  }
  return (
    <div className="drop-overlay" data-testid="drop-overlay">
      <p>Drop files or folders to upload them into tracks/</p>
    </div>
  );
}

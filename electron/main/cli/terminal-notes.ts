import type { ProgressDisplay } from './migrate-progress';

/**
 * Sends short lines, such as warnings from the log, to standard error, through the progress
 * display while one is shown so that they appear above its bar.
 */
export class TerminalNotes {
  private display: ProgressDisplay | null = null;

  constructor(private readonly stderr: NodeJS.WritableStream) {}

  /** Prints one line. */
  show(line: string): void {
    if (this.display === null) {
      this.stderr.write(`${line}\n`);
    } else {
      this.display.note(line);
    }
  }

  /** Routes lines through `display` until it is replaced, or back to standard error with null. */
  attach(display: ProgressDisplay | null): void {
    this.display = display;
  }
}

/** State of the link between the UI and the main process. */
export type ConnectionState = 'connecting' | 'open' | 'lost';

/** The link's state and its changes; Electron's IPC is always open, web mode's socket is not. */
export interface Connection {
  state(): ConnectionState;
  /** Subscribes to state changes; returns the function that unsubscribes. */
  subscribe(listener: (state: ConnectionState) => void): () => void;
}

/** A connection that never drops, for Electron's IPC. */
export const ALWAYS_OPEN: Connection = {
  state: () => 'open',
  subscribe: () => () => undefined,
};

/** Tracks a connection's state and notifies subscribers when it changes. */
export class ConnectionTracker implements Connection {
  private current: ConnectionState = 'connecting';
  private readonly listeners = new Set<(state: ConnectionState) => void>();

  state(): ConnectionState {
    return this.current;
  }

  subscribe(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a new state; subscribers hear of it only when it differs from the last one. */
  set(state: ConnectionState): void {
    if (state === this.current) {
      return;
    }
    this.current = state;
    this.listeners.forEach((listener) => listener(state));
  }
}

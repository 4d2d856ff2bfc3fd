import { WEB_HOST_PATHS } from '../../../shared/transport';
import type { CrateboxApi, EventName, Events, Reply } from '../../../shared/contract';
import { CrateboxError, errorFromPayload } from '../../../shared/errors';
import { ConnectionTracker } from './connection';
import type { Connection } from './connection';

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  /** Whether the message went out on a socket, so the host may have acted on it. */
  sent: boolean;
}

type AnyListener = (payload: unknown) => void;

const NOT_SENT =
  'the page is not connected to the Cratebox host, so nothing was sent; try again once it has reconnected';
const LOST_REPLY =
  'the connection to the Cratebox host was lost before it replied, so the action may or may not have taken effect';

// Delays before each further attempt to reopen the socket, in milliseconds; the last one repeats.
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000];

/** The web-mode API and the state of the socket that carries it. */
export interface SocketApi {
  api: CrateboxApi;
  connection: Connection;
}

/**
 * Creates the web-mode API: the IPC contract over a WebSocket to the host that served this page.
 * A socket that closes is reopened after a delay that grows with each failed attempt.
 *
 * A call is sent at most once, and a call that fails was either never sent or lost its reply.
 * Calls made before the first socket opens wait for it. Calls made while the connection is lost
 * fail at once and are never sent, because the action would otherwise run long after the UI
 * reported that it failed. When a socket closes, the calls waiting for it fail and are dropped,
 * and the calls in flight fail too, though the host may have carried them out. All of these fail
 * with `StorageUnavailable`. Events sent while the connection was down are lost, so the UI reloads
 * its state when the connection returns to `open` after `lost`.
 */
export function createSocketApi(location: Location): SocketApi {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WEB_HOST_PATHS.socket}`;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<AnyListener>>();
  const outbox = new Map<number, string>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let failures = 0;
  const connection = new ConnectionTracker();

  function connect(): void {
    const current = new WebSocket(url);
    socket = current;

    current.addEventListener('open', () => {
      failures = 0;
      connection.set('open');
      for (const [id, message] of outbox) {
        current.send(message);
        const waiting = pending.get(id);
        if (waiting !== undefined) {
          waiting.sent = true;
        }
      }
      outbox.clear();
    });

    current.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as
        { id: number; reply: Reply<unknown> } | { event: EventName; payload: unknown };
      if ('event' in message) {
        listeners.get(message.event)?.forEach((listener) => listener(message.payload));
        return;
      }
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.reply.ok) {
        waiting?.resolve(message.reply.result);
      } else {
        waiting?.reject(errorFromPayload(message.reply.error));
      }
    });

    current.addEventListener('close', () => {
      socket = null;
      connection.set('lost');
      for (const waiting of pending.values()) {
        waiting.reject(
          new CrateboxError('StorageUnavailable', waiting.sent ? LOST_REPLY : NOT_SENT),
        );
      }
      pending.clear();
      outbox.clear();
      const delay = RECONNECT_DELAYS_MS[Math.min(failures, RECONNECT_DELAYS_MS.length - 1)];
      failures += 1;
      setTimeout(connect, delay);
    });
  }

  connect();

  const api: CrateboxApi = {
    invoke(method, request) {
      if (connection.state() === 'lost') {
        return Promise.reject(new CrateboxError('StorageUnavailable', NOT_SENT));
      }
      const id = nextId++;
      const message = JSON.stringify({ id, method, request });
      return new Promise((resolve, reject) => {
        const open = socket?.readyState === WebSocket.OPEN;
        pending.set(id, { resolve: resolve as (result: unknown) => void, reject, sent: open });
        if (open) {
          socket?.send(message);
        } else {
          outbox.set(id, message);
        }
      });
    },

    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set<AnyListener>();
      listeners.set(event, set);
      set.add(listener as AnyListener);
      return () => set.delete(listener as AnyListener);
    },
  };
  return { api, connection };
}

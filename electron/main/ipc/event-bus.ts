import type { EventName, Events } from '../../../shared/contract';

/** Receives every event the main process pushes to windows. */
export type EventListener = <E extends EventName>(event: E, payload: Events[E]) => void;

/** Fans main-process events out to every transport (Electron windows, web-mode sockets). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  /** Sends an event to every subscriber. */
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of this.listeners) {
      listener(event, payload);
    }
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

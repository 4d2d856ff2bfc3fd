// Runtime constants of the transports, kept apart from the contract, so the renderer bundle
// carries no request schema except the one that the settings screen validates with.

/** Electron IPC channel names; both directions carry the method or event name as data. */
export const IPC_CHANNELS = {
  invoke: 'cratebox:invoke',
  event: 'cratebox:event',
} as const;

/** Paths the web-mode host serves next to the renderer. */
export const WEB_HOST_PATHS = {
  socket: '/ipc',
  staging: '/staging',
} as const;

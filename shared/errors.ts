/** Error names that cross the IPC boundary; the UI switches on them. */
export const ERROR_NAMES = [
  'InvalidRequest',
  'KeyOutsideTracks',
  'NotFound',
  'StorageUnavailable',
  'CredentialsMissing',
  'CredentialsRejected',
  'AccessDenied',
  'BucketNotFound',
  'WrongRegion',
  'RegionMissing',
  'SigningFailed',
  'UploadFailed',
  'Unsupported',
  'Internal',
] as const;

/** Name of an error that crosses the IPC boundary. */
export type ErrorName = (typeof ERROR_NAMES)[number];

/** Serialized form of an error: a name the UI can switch on and a message a person can act on. */
export interface ErrorPayload {
  name: ErrorName;
  message: string;
}

/** Error with a name from {@link ERROR_NAMES}, thrown by services and rebuilt by IPC clients. */
export class CrateboxError extends Error {
  override readonly name: ErrorName;

  constructor(name: ErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }

  /** Converts the error to the plain object sent over IPC. */
  toPayload(): ErrorPayload {
    return { name: this.name, message: this.message };
  }
}

/** Names of errors that a change of the storage settings (bucket, region, credentials) can fix. */
export const STORAGE_SETTINGS_ERRORS: readonly ErrorName[] = [
  'CredentialsMissing',
  'CredentialsRejected',
  'AccessDenied',
  'BucketNotFound',
  'WrongRegion',
  'RegionMissing',
];

/** Rebuilds a {@link CrateboxError} from its payload, falling back to `Internal` for unknown names. */
export function errorFromPayload(payload: ErrorPayload): CrateboxError {
  const name = (ERROR_NAMES as readonly string[]).includes(payload.name)
    ? payload.name
    : 'Internal';
  return new CrateboxError(name, payload.message);
}

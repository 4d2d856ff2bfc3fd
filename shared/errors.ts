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

/** Problem with one field of a request, for a form that shows it next to the field. */
export interface FieldProblem {
  /** Dotted path of the field in the request, e.g. `storage.bucket`. */
  field: string;
  /** Message that starts with the field's label, e.g. `Bucket: enter the bucket name`. */
  message: string;
}

/** Serialized form of an error: a name the UI can switch on and a message a person can act on. */
export interface ErrorPayload {
  name: ErrorName;
  message: string;
  /** Problems by field, when the error is about fields of the request. */
  fields?: FieldProblem[];
}

/** Error with a name from {@link ERROR_NAMES}, thrown by services and rebuilt by IPC clients. */
export class CrateboxError extends Error {
  override readonly name: ErrorName;
  /** Problems by field; empty when the error is not about one field. */
  readonly fields: FieldProblem[];

  constructor(
    name: ErrorName,
    message: string,
    options?: { cause?: unknown; fields?: FieldProblem[] },
  ) {
    super(message, options);
    this.name = name;
    this.fields = options?.fields ?? [];
  }

  /** Converts the error to the plain object sent over IPC. */
  toPayload(): ErrorPayload {
    const payload: ErrorPayload = { name: this.name, message: this.message };
    if (this.fields.length > 0) {
      payload.fields = this.fields;
    }
    return payload;
  }
}

/**
 * Creates an `InvalidRequest` error about one field. The message starts with the field's label,
 * so it is complete where no form shows it, as in a log line.
 */
export function fieldError(field: string, label: string, problem: string): CrateboxError {
  const message = `${label}: ${problem}`;
  return new CrateboxError('InvalidRequest', message, { fields: [{ field, message }] });
}

/**
 * Converts validation issues (zod's, for example) into field problems whose messages start with
 * the field's label. A field for which `labelOf` returns null is named by its dotted path.
 */
export function fieldProblemsOf(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  labelOf: (field: string) => string | null,
): FieldProblem[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    const label = labelOf(field) ?? (field === '' ? 'Request' : field);
    return { field, message: `${label}: ${issue.message}` };
  });
}

/**
 * Names of errors about reaching or signing in to the storage, which the storage settings
 * (bucket, region, endpoint, credentials) can fix in most cases.
 */
export const STORAGE_SETTINGS_ERRORS: readonly ErrorName[] = [
  'StorageUnavailable',
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
  return new CrateboxError(name, payload.message, { fields: payload.fields ?? [] });
}

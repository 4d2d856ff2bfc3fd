import { z } from 'zod';

import type { ErrorPayload } from './errors';
import type { PublicSettings } from './settings';
import { settingsFieldLabel, settingsUpdateSchema } from './settings';
import { trackKeyProblem } from './track-key';
import type {
  MigrationReport,
  UploadJobView,
  UploadProgress,
  UploadQueueListing,
  UploadSnapshot,
} from './uploads';

/** One track of the library: an object under `tracks/` with the tags stored when it was uploaded. */
export interface Track {
  key: string;
  /** Title tag, or the file name when the file had none. */
  title: string;
  titleFromFileName: boolean;
  artist: string | null;
  album: string | null;
  trackNumber: number | null;
  durationSeconds: number | null;
  sizeBytes: number;
  contentType: string | null;
  lastModified: string;
  /** Whether waveform peaks were stored at upload time, so the player need not decode the file. */
  hasPeaks: boolean;
}

/** Delivery path a playable URL was signed for. */
export type DeliveryPath = 'cloudfront' | 's3';

/** Signed URL the renderer may stream from until `expiresAt`. */
export interface PlayableUrl {
  key: string;
  url: string;
  /** Expiry as an ISO 8601 timestamp, on the corrected clock. */
  expiresAt: string;
  via: DeliveryPath;
  /** Reason the S3 fallback is in use, when CloudFront is configured but was not used. */
  fallbackReason: string | null;
}

/** Waveform peaks of a track, one array of values in [-1, 1] per channel. */
export interface TrackPeaks {
  key: string;
  durationSeconds: number;
  peaks: number[][];
}

/** Facts the UI shows about where the app runs and which store it talks to. */
export interface AppInfo {
  version: string;
  shell: 'electron' | 'web';
  storage: 'embedded' | 'aws';
  bucket: string;
  endpoint: string | null;
  delivery: DeliveryPath;
  /** Reason configured CloudFront delivery cannot sign, so tracks play from S3; null when it can. */
  deliveryProblem: string | null;
  /** Whether the shell can open a native file dialog (`uploads.pick`). */
  nativeFilePicker: boolean;
}

const trackKey = z.string().superRefine((key, context) => {
  const problem = trackKeyProblem(key);
  if (problem !== null) {
    context.addIssue({ code: 'custom', message: problem });
  }
});

const jobId = z.string().min(1).max(100);
const empty = z.object({}).strict();

/** Request schemas of every IPC method; handlers validate each request against them. */
export const requestSchemas = {
  'app.info': empty,
  'library.list': z.object({ refresh: z.boolean().optional() }).strict(),
  'library.peaks': z.object({ key: trackKey }).strict(),
  'player.url': z
    .object({
      key: trackKey,
      /** The URL the player failed to load, so the main process can find out why and recover. */
      failedUrl: z.string().url().max(16_384).optional(),
    })
    .strict(),
  'uploads.add': z
    .object({
      sources: z
        .array(
          z
            .object({
              path: z.string().min(1).max(4096),
              /** Path below the upload root, kept under `tracks/`; the base name when absent. */
              relativePath: z.string().min(1).max(4096).optional(),
            })
            .strict(),
        )
        .min(1)
        .max(100_000),
    })
    .strict(),
  'uploads.pick': z.object({ folders: z.boolean().optional() }).strict(),
  'uploads.list': empty,
  'uploads.pause': z.object({ id: jobId }).strict(),
  'uploads.resume': z.object({ id: jobId }).strict(),
  'uploads.cancel': z.object({ id: jobId }).strict(),
  'uploads.retry': z
    .object({
      id: jobId,
      /**
       * Lets a job stopped as a conflict overwrite the different file found at its key. The job
       * stops again if that file changes before the upload.
       */
      replace: z.boolean().optional(),
    })
    .strict(),
  'uploads.discard': z.object({ id: jobId }).strict(),
  'uploads.clearFinished': empty,
  'uploads.lastReport': empty,
  'settings.get': empty,
  'settings.update': settingsUpdateSchema,
} as const;

/** Name of an IPC method. */
export type Method = keyof typeof requestSchemas;

/**
 * Labels of request fields, for methods whose requests come from a form: a problem with such a
 * request names the field as the form does (`Bucket: …`) instead of by its path.
 */
export const requestFieldLabels: Partial<Record<Method, (field: string) => string | null>> = {
  'settings.update': settingsFieldLabel,
};

/** Request a renderer sends for method `M`. */
export type RequestOf<M extends Method> = z.input<(typeof requestSchemas)[M]>;

/** Request a handler receives for method `M`, after validation. */
export type ValidRequestOf<M extends Method> = z.output<(typeof requestSchemas)[M]>;

/** Result of each IPC method. */
export interface Results {
  'app.info': AppInfo;
  'library.list': Track[];
  'library.peaks': TrackPeaks | null;
  'player.url': PlayableUrl;
  'uploads.add': { batchId: string };
  'uploads.pick': { batchId: string } | null;
  'uploads.list': UploadQueueListing;
  'uploads.pause': UploadJobView;
  'uploads.resume': UploadJobView;
  'uploads.cancel': UploadJobView;
  'uploads.retry': UploadJobView;
  'uploads.discard': UploadSnapshot;
  'uploads.clearFinished': UploadSnapshot;
  'uploads.lastReport': MigrationReport | null;
  'settings.get': PublicSettings;
  'settings.update': PublicSettings;
}

/** Events the main process pushes to every window. */
export interface Events {
  'uploads.progress': UploadProgress;
  /** A report was written, by this app's queue or by a `cratebox migrate` run. */
  'uploads.reportWritten': { id: string; origin: MigrationReport['origin'] };
  /**
   * Tracks were stored. `storageChanged` means the app now reads another bucket or store, so
   * every track listed before is gone from the library.
   */
  'library.changed': { keys: string[]; storageChanged: boolean };
  'settings.changed': PublicSettings;
}

/** Name of an event pushed by the main process. */
export type EventName = keyof Events;

/** Reply to an invocation; errors travel as data so their names survive the transport. */
export type Reply<R> = { ok: true; result: R } | { ok: false; error: ErrorPayload };

/** Typed API the renderer uses, whatever carries it (Electron IPC or the web-mode socket). */
export interface CrateboxApi {
  invoke<M extends Method>(method: M, request: RequestOf<M>): Promise<Results[M]>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

/** Checks that `name` is an IPC method name. */
export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(requestSchemas, name);
}

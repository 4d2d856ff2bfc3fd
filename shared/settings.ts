import { z } from 'zod';

import { bucketNameProblem } from './bucket-name';

/** Settings as the renderer sees them: no secret, only whether one is set. */
export interface PublicSettings {
  storage: {
    mode: 'embedded' | 'aws';
    bucket: string;
    region: string;
    endpoint: string | null;
    forcePathStyle: boolean;
    profile: string | null;
    hasStaticCredentials: boolean;
  };
  delivery: {
    cloudfront: {
      domain: string;
      keyPairIds: string[];
      activeKeyPairId: string;
      policy: 'canned' | 'custom';
      resource: string | null;
      ipRange: string | null;
    } | null;
    urlLifetimeSeconds: number;
  };
  uploads: {
    parallelFiles: number;
    parallelParts: number;
    partSizeMiB: number;
  };
  /** Dotted names of settings fixed by environment variables; the settings screen shows them read-only. */
  fromEnvironment: string[];
}

const bucketName = z.string().superRefine((name, context) => {
  const problem = bucketNameProblem(name);
  if (problem !== null) {
    context.addIssue({ code: 'custom', message: `invalid bucket name: ${problem}` });
  }
});

/** Changes the settings screen may send; secrets go in, never out. */
export const settingsUpdateSchema = z
  .object({
    storage: z
      .object({
        mode: z.enum(['embedded', 'aws']),
        bucket: bucketName,
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region looks like eu-west-1'),
        endpoint: z.string().url().nullable(),
        forcePathStyle: z.boolean(),
        profile: z.string().min(1).max(128).nullable(),
        accessKeyId: z.string().min(16).max(128).nullable(),
        secretAccessKey: z.string().min(16).max(256).nullable(),
      })
      .partial()
      .strict(),
    delivery: z
      .object({
        cloudfront: z
          .object({
            domain: z.string().min(1).max(253),
            keyPairs: z
              .array(
                z
                  .object({ id: z.string().min(1).max(64), privateKeyPath: z.string().min(1) })
                  .strict(),
              )
              .min(1)
              .max(2),
            activeKeyPairId: z.string().min(1).max(64),
            policy: z.enum(['canned', 'custom']),
            resource: z.string().min(1).max(2048).nullable(),
            ipRange: z.string().max(64).nullable(),
          })
          .strict()
          .nullable(),
        urlLifetimeSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 24 * 3600),
      })
      .partial()
      .strict(),
    uploads: z
      .object({
        parallelFiles: z.number().int().min(1).max(16),
        parallelParts: z.number().int().min(1).max(16),
        partSizeMiB: z.number().int().min(5).max(512),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

/** Change the settings screen sends. */
export type SettingsUpdate = z.input<typeof settingsUpdateSchema>;

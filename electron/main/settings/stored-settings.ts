import Conf from 'conf';
import { z } from 'zod';

/** Settings as kept on disk in the data folder; secrets only in encrypted form. */
export const storedSettingsSchema = z.object({
  storage: z
    .object({
      mode: z.enum(['embedded', 'aws']).default('embedded'),
      bucket: z.string().nullable().default(null),
      region: z.string().nullable().default(null),
      endpoint: z.string().nullable().default(null),
      forcePathStyle: z.boolean().default(false),
      profile: z.string().nullable().default(null),
      accessKeyId: z.string().nullable().default(null),
      /** Secret access key encrypted by the shell's secret box (Electron safeStorage). */
      encryptedSecretAccessKey: z.string().nullable().default(null),
    })
    .prefault({}),
  delivery: z
    .object({
      cloudfront: z
        .object({
          domain: z.string(),
          keyPairs: z.array(z.object({ id: z.string(), privateKeyPath: z.string() })),
          activeKeyPairId: z.string(),
          policy: z.enum(['canned', 'custom']),
          resource: z.string().nullable(),
          ipRange: z.string().nullable(),
        })
        .nullable()
        .default(null),
      urlLifetimeSeconds: z.number().int().positive().default(3600),
    })
    .prefault({}),
  uploads: z
    .object({
      parallelFiles: z.number().int().min(1).default(3),
      parallelParts: z.number().int().min(1).default(4),
      partSizeMiB: z.number().int().min(5).default(8),
    })
    .prefault({}),
});

/** Settings as kept on disk. */
export type StoredSettings = z.output<typeof storedSettingsSchema>;

/** Key-value file that keeps the settings; electron-store and conf both fit. */
export interface SettingsFile {
  readonly path: string;
  store: Record<string, unknown>;
}

/** Reads and writes {@link StoredSettings}, validating what it reads. */
export interface SettingsStore {
  read(): StoredSettings;
  write(settings: StoredSettings): void;
}

/** Wraps a settings file; an invalid file is an error that names the file and the problem. */
export function createSettingsStore(file: SettingsFile): SettingsStore {
  return {
    read(): StoredSettings {
      const parsed = storedSettingsSchema.safeParse(file.store);
      if (!parsed.success) {
        const problem = parsed.error.issues
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ');
        throw new Error(`invalid settings file ${file.path} (${problem}); fix or delete it`);
      }
      return parsed.data;
    },
    write(settings: StoredSettings): void {
      file.store = settings;
    },
  };
}

/** Opens `settings.json` in the data folder with conf, for shells without Electron. */
export function openConfSettingsFile(dataDir: string): SettingsFile {
  return new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'settings',
    projectName: 'cratebox',
    configFileMode: 0o600,
  });
}

import type { PublicSettings, SettingsUpdate } from '../../../../shared/settings';

/** One CloudFront key pair as typed into the settings screen. */
export interface KeyPairDraft {
  id: string;
  privateKeyPath: string;
}

/** Values of the settings screen's inputs, as typed. */
export interface Draft {
  mode: 'embedded' | 'aws';
  bucket: string;
  region: string;
  endpoint: string;
  forcePathStyle: boolean;
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  cloudfrontEnabled: boolean;
  domain: string;
  keyPairs: [KeyPairDraft, KeyPairDraft];
  activeKeyPairId: string;
  policy: 'canned' | 'custom';
  resource: string;
  ipRange: string;
  urlLifetimeSeconds: number;
  parallelFiles: number;
  parallelParts: number;
  partSizeMiB: number;
}

/** Part of the settings that an input belongs to; only edited sections are sent. */
export type Section = 'storage' | 'cloudfront' | 'other';

/**
 * Dotted paths in a {@link SettingsUpdate} that each input sets. An edit clears the problems
 * shown for these paths and the paths under them, so switching to the embedded store or turning
 * CloudFront off clears the problems of the fields it hides.
 */
export const FIELDS_OF: Record<Exclude<keyof Draft, 'keyPairs'>, string[]> = {
  mode: ['storage'],
  bucket: ['storage.bucket'],
  region: ['storage.region'],
  endpoint: ['storage.endpoint'],
  forcePathStyle: ['storage.forcePathStyle'],
  profile: ['storage.profile'],
  accessKeyId: ['storage.accessKeyId'],
  secretAccessKey: ['storage.secretAccessKey'],
  cloudfrontEnabled: ['delivery.cloudfront'],
  domain: ['delivery.cloudfront.domain'],
  activeKeyPairId: ['delivery.cloudfront.activeKeyPairId'],
  policy: [
    'delivery.cloudfront.policy',
    'delivery.cloudfront.resource',
    'delivery.cloudfront.ipRange',
  ],
  resource: ['delivery.cloudfront.resource'],
  ipRange: ['delivery.cloudfront.ipRange'],
  urlLifetimeSeconds: ['delivery.urlLifetimeSeconds'],
  parallelFiles: ['uploads.parallelFiles'],
  parallelParts: ['uploads.parallelParts'],
  partSizeMiB: ['uploads.partSizeMiB'],
};

const STORAGE_INPUTS: (keyof Draft)[] = [
  'mode',
  'bucket',
  'region',
  'endpoint',
  'forcePathStyle',
  'profile',
  'accessKeyId',
  'secretAccessKey',
];
const CLOUDFRONT_INPUTS: (keyof Draft)[] = [
  'cloudfrontEnabled',
  'domain',
  'keyPairs',
  'activeKeyPairId',
  'policy',
  'resource',
  'ipRange',
];

/** Returns the section an input belongs to. */
export function sectionOf(name: keyof Draft): Section {
  if (STORAGE_INPUTS.includes(name)) {
    return 'storage';
  }
  return CLOUDFRONT_INPUTS.includes(name) ? 'cloudfront' : 'other';
}

/** Returns the dotted path of one input of a CloudFront key pair. */
export function keyPairField(index: number, input: keyof KeyPairDraft): string {
  return `delivery.cloudfront.keyPairs.${index}.${input}`;
}

/**
 * Lists the dotted paths that the screen shows next to an input for this draft, so a problem
 * with any other path is shown with the problems of the whole form.
 */
export function visibleFields(draft: Draft, canStoreSecrets: boolean): Set<string> {
  const fields = [
    'delivery.urlLifetimeSeconds',
    'uploads.parallelFiles',
    'uploads.parallelParts',
    'uploads.partSizeMiB',
  ];
  if (draft.mode === 'aws') {
    fields.push('storage.bucket', 'storage.region', 'storage.profile', 'storage.endpoint');
    if (canStoreSecrets) {
      fields.push('storage.accessKeyId', 'storage.secretAccessKey');
    }
  }
  if (draft.cloudfrontEnabled) {
    fields.push(
      'delivery.cloudfront.domain',
      'delivery.cloudfront.keyPairs',
      keyPairField(0, 'id'),
      keyPairField(0, 'privateKeyPath'),
      keyPairField(1, 'id'),
      keyPairField(1, 'privateKeyPath'),
      'delivery.cloudfront.activeKeyPairId',
      'delivery.cloudfront.policy',
    );
    if (draft.policy === 'custom') {
      fields.push('delivery.cloudfront.resource', 'delivery.cloudfront.ipRange');
    }
  }
  return new Set(fields);
}

/** Creates the draft that shows the current settings. */
export function toDraft(settings: PublicSettings): Draft {
  const { storage, delivery, uploads } = settings;
  const cloudfront = delivery.cloudfront;
  const ids = cloudfront?.keyPairIds ?? [];
  return {
    mode: storage.mode,
    bucket: storage.mode === 'aws' ? storage.bucket : '',
    region: storage.mode === 'aws' ? storage.region : '',
    endpoint: storage.endpoint ?? '',
    forcePathStyle: storage.mode === 'aws' && storage.forcePathStyle,
    profile: storage.profile ?? '',
    accessKeyId: '',
    secretAccessKey: '',
    cloudfrontEnabled: cloudfront !== null,
    domain: cloudfront?.domain ?? '',
    // Key file paths are not sent back to the renderer, so saving CloudFront needs them again.
    keyPairs: [
      { id: ids[0] ?? '', privateKeyPath: '' },
      { id: ids[1] ?? '', privateKeyPath: '' },
    ],
    activeKeyPairId: cloudfront?.activeKeyPairId ?? '',
    policy: cloudfront?.policy ?? 'canned',
    resource: cloudfront?.resource ?? '',
    ipRange: cloudfront?.ipRange ?? '',
    urlLifetimeSeconds: delivery.urlLifetimeSeconds,
    parallelFiles: uploads.parallelFiles,
    parallelParts: uploads.parallelParts,
    partSizeMiB: uploads.partSizeMiB,
  };
}

/**
 * Builds the update to send. Only sections the user changed are sent: an untouched storage
 * section must not restart the store, and CloudFront key file paths are never sent back to the
 * renderer to be resent. Settings fixed by environment variables are left out.
 */
export function toUpdate(
  draft: Draft,
  settings: PublicSettings,
  touched: ReadonlySet<Section>,
): SettingsUpdate {
  const locked = (field: string): boolean => field in settings.fromEnvironment;
  const unlocked = <T extends object>(section: string, values: T): Partial<T> =>
    Object.fromEntries(
      Object.entries(values).filter(([name]) => !locked(`${section}.${name}`)),
    ) as Partial<T>;

  const update: SettingsUpdate = {
    uploads: unlocked('uploads', {
      parallelFiles: draft.parallelFiles,
      parallelParts: draft.parallelParts,
      partSizeMiB: draft.partSizeMiB,
    }),
  };

  if (touched.has('storage') && !locked('storage.bucket')) {
    update.storage = draft.mode === 'embedded' ? { mode: 'embedded' } : awsStorage(draft, unlocked);
  }

  const delivery: NonNullable<SettingsUpdate['delivery']> = {};
  if (!locked('delivery.urlLifetimeSeconds')) {
    delivery.urlLifetimeSeconds = draft.urlLifetimeSeconds;
  }
  if (touched.has('cloudfront') && !locked('delivery.cloudfront')) {
    delivery.cloudfront = draft.cloudfrontEnabled ? cloudfrontUpdate(draft) : null;
  }
  update.delivery = delivery;
  return update;
}

function awsStorage(
  draft: Draft,
  unlocked: <T extends object>(section: string, values: T) => Partial<T>,
): NonNullable<SettingsUpdate['storage']> {
  const region = draft.region.trim();
  return {
    mode: 'aws',
    bucket: draft.bucket.trim(),
    ...unlocked('storage', {
      ...(region !== '' && { region }),
      endpoint: draft.endpoint.trim() === '' ? null : draft.endpoint.trim(),
      forcePathStyle: draft.forcePathStyle,
      profile: draft.profile.trim() === '' ? null : draft.profile.trim(),
    }),
    ...(draft.accessKeyId !== '' && { accessKeyId: draft.accessKeyId.trim() }),
    ...(draft.secretAccessKey !== '' && { secretAccessKey: draft.secretAccessKey }),
  };
}

// The first key pair is always sent, so the index of a problem matches the inputs. The second is
// sent when it has an ID or a file.
function cloudfrontUpdate(draft: Draft): NonNullable<SettingsUpdate['delivery']>['cloudfront'] {
  const [first, next] = draft.keyPairs.map((pair) => ({
    id: pair.id.trim(),
    privateKeyPath: pair.privateKeyPath.trim(),
  }));
  const keyPairs = [first, next].filter(
    (pair, index): pair is KeyPairDraft =>
      pair !== undefined && (index === 0 || pair.id !== '' || pair.privateKeyPath !== ''),
  );
  const custom = draft.policy === 'custom';
  return {
    domain: draft.domain.trim(),
    keyPairs,
    activeKeyPairId: draft.activeKeyPairId || (keyPairs[0]?.id ?? ''),
    policy: draft.policy,
    resource: custom && draft.resource.trim() !== '' ? draft.resource.trim() : null,
    ipRange: custom && draft.ipRange.trim() !== '' ? draft.ipRange.trim() : null,
  };
}

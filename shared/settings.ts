import { z } from 'zod';

import { bucketNameProblem } from './bucket-name';
import {
  accessKeyIdProblem,
  cloudFrontDomainProblem,
  endpointProblem,
  keyPairIdProblem,
  normalizeCloudFrontDomain,
  normalizeIpv4Cidr,
  privateKeyPathProblem,
} from './settings-rules';

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
  /**
   * Settings fixed by environment variables, as dotted setting name to variable name
   * (`storage.region` to `CRATEBOX_REGION`); the settings screen shows them read-only.
   */
  fromEnvironment: Record<string, string>;
}

/** Longest signed URL lifetime: S3 presigned URLs, the fallback path, allow at most 7 days. */
export const MAX_URL_LIFETIME_SECONDS = 7 * 24 * 3600;

// Turns a rule from settings-rules.ts into a zod check whose issue message is the problem.
function checked(problemOf: (value: string) => string | null): z.ZodString {
  return z.string({ error: 'enter text' }).superRefine((value, context) => {
    const problem = problemOf(value);
    if (problem !== null) {
      context.addIssue({ code: 'custom', message: problem });
    }
  });
}

function wholeNumber(min: number, max: number, unit: string, maxNote = ''): z.ZodNumber {
  const range = `from ${min} to ${max}${unit}`;
  return z
    .number({ error: `enter a whole number ${range}` })
    .int(`enter a whole number ${range}`)
    .min(min, `at least ${min}${unit}`)
    .max(max, `at most ${max}${unit}${maxNote}`);
}

const bucketName = checked((name) =>
  name === '' ? 'enter the bucket name' : bucketNameProblem(name),
);

const keyPair = z
  .object({ id: checked(keyPairIdProblem), privateKeyPath: checked(privateKeyPathProblem) })
  .strict();

const cloudfront = z
  .object({
    domain: z
      .string({ error: 'enter text' })
      .overwrite(normalizeCloudFrontDomain)
      .superRefine((domain, context) => {
        const problem = cloudFrontDomainProblem(domain);
        if (problem !== null) {
          context.addIssue({ code: 'custom', message: problem });
        }
      }),
    keyPairs: z
      .array(keyPair)
      .min(1, 'add the public key ID and private key file of a key pair')
      .max(2, 'at most two key pairs: the active one and the next'),
    activeKeyPairId: z.string({ error: 'choose the key that signs URLs' }),
    policy: z.enum(['canned', 'custom'], { error: 'choose canned or custom' }),
    resource: z
      .string()
      .min(1, 'enter a resource such as https://DOMAIN/tracks/*')
      .max(2048, 'at most 2048 characters')
      .nullable(),
    ipRange: checked((text) =>
      normalizeIpv4Cidr(text) === null
        ? 'enter an IPv4 range in CIDR notation, such as 203.0.113.0/24'
        : null,
    ).nullable(),
  })
  .strict()
  .superRefine(({ keyPairs, activeKeyPairId }, context) => {
    const [first, next] = keyPairs;
    if (first !== undefined && next !== undefined && first.id === next.id && next.id !== '') {
      context.addIssue({
        code: 'custom',
        message: 'is the same as the first key; rotation needs the ID of a second public key',
        path: ['keyPairs', 1, 'id'],
      });
    }
    if (!keyPairs.some((pair) => pair.id === activeKeyPairId)) {
      context.addIssue({
        code: 'custom',
        message: 'choose one of the public keys above to sign URLs',
        path: ['activeKeyPairId'],
      });
    }
  });

/** Changes the settings screen may send; secrets go in, never out. */
export const settingsUpdateSchema = z
  .object({
    storage: z
      .object({
        mode: z.enum(['embedded', 'aws'], { error: 'choose the embedded store or Amazon S3' }),
        bucket: bucketName,
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'enter a region such as eu-west-1'),
        endpoint: checked(endpointProblem).nullable(),
        forcePathStyle: z.boolean(),
        profile: z
          .string()
          .min(1, 'enter a profile name, or leave the field empty')
          .max(128, 'at most 128 characters')
          .nullable(),
        accessKeyId: checked(accessKeyIdProblem).nullable(),
        secretAccessKey: z
          .string()
          .min(16, 'a secret access key has 16 to 256 characters')
          .max(256, 'a secret access key has 16 to 256 characters')
          .nullable(),
      })
      .partial()
      .strict(),
    delivery: z
      .object({
        cloudfront: cloudfront.nullable(),
        urlLifetimeSeconds: wholeNumber(60, MAX_URL_LIFETIME_SECONDS, ' seconds', ' (7 days)'),
      })
      .partial()
      .strict(),
    uploads: z
      .object({
        parallelFiles: wholeNumber(1, 16, ''),
        parallelParts: wholeNumber(1, 16, ''),
        partSizeMiB: wholeNumber(5, 512, ' MiB'),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

/** Change the settings screen sends. */
export type SettingsUpdate = z.input<typeof settingsUpdateSchema>;

// Labels of the fields as the settings screen shows them, for messages that name a field.
const FIELD_LABELS: Record<string, string> = {
  storage: 'Storage',
  'storage.mode': 'Storage',
  'storage.bucket': 'Bucket',
  'storage.region': 'Region',
  'storage.endpoint': 'Endpoint',
  'storage.forcePathStyle': 'Path-style addressing',
  'storage.profile': 'AWS profile',
  'storage.accessKeyId': 'Access key ID',
  'storage.secretAccessKey': 'Secret access key',
  delivery: 'Delivery',
  'delivery.cloudfront': 'CloudFront',
  'delivery.cloudfront.domain': 'Distribution domain',
  'delivery.cloudfront.keyPairs': 'Key pairs',
  'delivery.cloudfront.keyPairs.0.id': 'Public key ID',
  'delivery.cloudfront.keyPairs.0.privateKeyPath': 'Private key file',
  'delivery.cloudfront.keyPairs.1.id': 'Next public key ID',
  'delivery.cloudfront.keyPairs.1.privateKeyPath': 'Next private key file',
  'delivery.cloudfront.activeKeyPairId': 'Signing key',
  'delivery.cloudfront.policy': 'Policy',
  'delivery.cloudfront.resource': 'Resource',
  'delivery.cloudfront.ipRange': 'Allowed IP range',
  'delivery.urlLifetimeSeconds': 'URL lifetime',
  uploads: 'Uploads',
  'uploads.parallelFiles': 'Files in parallel',
  'uploads.parallelParts': 'Parts in parallel per file',
  'uploads.partSizeMiB': 'Part size',
};

/**
 * Returns the label of a settings field by its dotted path in a {@link SettingsUpdate}, or the
 * label of the nearest enclosing field; null for paths outside the settings.
 */
export function settingsFieldLabel(field: string): string | null {
  const segments = field.split('.');
  while (segments.length > 0) {
    const label = FIELD_LABELS[segments.join('.')];
    if (label !== undefined) {
      return label;
    }
    segments.pop();
  }
  return null;
}

import { getSignedUrl } from '@aws-sdk/cloudfront-signer';

import { cloudFrontObjectUrl, customPolicyJson } from './cloudfront-url';
import type { LoadedKeyPair } from './private-keys';

/** Inputs of one CloudFront signature. */
export interface CloudFrontSignRequest {
  origin: string;
  key: string;
  keyPair: LoadedKeyPair;
  policy: 'canned' | 'custom';
  /** Custom policy resource, wildcards allowed; null signs the object URL itself. */
  resource: string | null;
  /** Custom policy source IP range as an IPv4 CIDR; null for none. */
  ipRange: string | null;
  expiresEpochSeconds: number;
}

/**
 * Signs the CloudFront URL of an object key with a canned or custom policy and returns it.
 * Throws when the signer would put a different URL on the wire than the one signed, so a change
 * in the signer's URL encoding shows up as a signing error, not as 403s at the edge.
 */
export function signCloudFrontUrl(request: CloudFrontSignRequest): string {
  const url = cloudFrontObjectUrl(request.origin, request.key);
  const credentials = {
    keyPairId: request.keyPair.id,
    privateKey: request.keyPair.privateKeyPem,
  };

  const signed =
    request.policy === 'canned'
      ? getSignedUrl({
          ...credentials,
          url,
          dateLessThan: new Date(request.expiresEpochSeconds * 1000),
        })
      : getSignedUrl({
          ...credentials,
          url,
          policy: customPolicyJson({
            resource: request.resource ?? url,
            expiresEpochSeconds: request.expiresEpochSeconds,
            ipRange: request.ipRange,
          }),
        });

  if (!signed.startsWith(`${url}?`)) {
    throw new Error(
      `the CloudFront signer changed the URL of ${request.key}; the signed resource would not match the request`,
    );
  }
  return signed;
}

/** Delivery settings the signer reads on every call, so changes apply without a restart. */
export interface SignerConfig {
  bucket: string;
  urlLifetimeSeconds: number;
  cloudfront: CloudFrontConfig | null;
}

/** CloudFront part of {@link SignerConfig}. */
export interface CloudFrontConfig {
  /** Host name (https), or an origin with an explicit `http://` or `https://` scheme. */
  domain: string;
  /** Active and optional next key pair, as PEM text; null PEM with the reason it could not be read. */
  keyPairs: ConfiguredKeyPair[];
  activeKeyPairId: string;
  policy: 'canned' | 'custom';
  /** Custom policy resource such as `https://DOMAIN/tracks/*`; null signs the track URL. */
  resource: string | null;
  /** Custom policy source IP range (IPv4 CIDR); null for none. */
  ipRange: string | null;
}

/** One configured key pair; `privateKeyPem` is null when the key file or variable could not be read. */
export interface ConfiguredKeyPair {
  id: string;
  privateKeyPem: string | null;
  loadError?: string | null;
  /** File or variable the key came from, e.g. `file /keys/k.pem from the settings`. */
  source?: string;
}

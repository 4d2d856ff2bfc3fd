// Naming rules of S3 general purpose buckets, from the Amazon S3 User Guide page "General purpose
// bucket naming rules".
const MIN_LENGTH = 3;
const MAX_LENGTH = 63;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Returns why `name` is not a valid S3 bucket name, or null when it is. The reason ends with what
 * to do, and a URL, ARN or path in place of the bare name gets the name it contains as a hint.
 */
export function bucketNameProblem(name: string): string | null {
  const embedded = bucketInside(name);
  if (embedded !== null) {
    return `give the bucket name alone, e.g. ${embedded}`;
  }
  if (name.trim() !== name) {
    return 'remove the spaces around the name';
  }
  if (name.length < MIN_LENGTH || name.length > MAX_LENGTH) {
    return `a bucket name has ${MIN_LENGTH} to ${MAX_LENGTH} characters; this one has ${name.length}`;
  }

  // NOTE: buckets created in us-east-1 before March 2018 may have capitals or underscores, and
  // such legacy names are rejected here too.
  const invalid = [...name].find((c) => !/[a-z0-9.-]/.test(c));
  if (invalid !== undefined) {
    const lower = name.toLowerCase();
    const hint = lower !== name && bucketNameProblem(lower) === null ? `; use ${lower}` : '';
    return `a bucket name contains only lowercase letters, digits, dots and hyphens, not ${JSON.stringify(invalid)}${hint}`;
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return 'a bucket name starts and ends with a letter or a digit';
  }
  if (name.includes('..')) {
    return 'a bucket name has no two dots in a row';
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
    return 'a bucket name cannot be an IP address';
  }

  const prefix = RESERVED_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix !== undefined) {
    return `S3 reserves names that start with ${prefix}`;
  }
  const suffix = RESERVED_SUFFIXES.find((reserved) => name.endsWith(reserved));
  if (suffix !== undefined) {
    return `S3 reserves names that end with ${suffix}`;
  }
  return null;
}

// People paste `s3://music/tracks`, `arn:aws:s3:::music` or a bucket URL where the name belongs.
function bucketInside(text: string): string | null {
  const trimmed = text.trim();
  const s3Uri = /^s3:\/\/([^/]+)/i.exec(trimmed);
  if (s3Uri !== null) {
    return s3Uri[1] ?? null;
  }
  const arn = /^arn:aws[\w-]*:s3:::([^/]+)/i.exec(trimmed);
  if (arn !== null) {
    return arn[1] ?? null;
  }
  const virtualHosted = /^https?:\/\/([^/]+?)\.s3[.-]/i.exec(trimmed);
  if (virtualHosted !== null) {
    return virtualHosted[1] ?? null;
  }
  const pathStyle = /^https?:\/\/s3[.-][^/]*\/([^/]+)/i.exec(trimmed);
  if (pathStyle !== null) {
    return pathStyle[1] ?? null;
  }
  if (/^[^/]+\//.test(trimmed)) {
    return trimmed.split('/')[0] ?? null;
  }
  return null;
}

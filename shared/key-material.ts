// PEM armour, and the base64 DER that follows it. An RSA or PKCS#8 private key in DER starts with
// a SEQUENCE of two-byte length, `30 82`, which base64 writes as `MII`.
const PEM_HEADER = /-----BEGIN [A-Z0-9 ]+-----/;
const BARE_DER = /^MII[A-Za-z0-9+/=\s]{60,}$/;

// A PEM block ends at its END line. In a message cut short, or inside a JSON string, it ends at
// the end of the text or at the next unescaped quote, so JSON log lines stay parseable.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----(?:[^"\\]|\\.)*?(?:-----END \1-----|(?="|$))/g;
// Base64 DER of 45 bytes or more, over several lines; `\n` is a newline in JSON text.
const DER_RUN = /MII(?:[A-Za-z0-9+/=]|\\n|\\r|\n|\r){60,}/g;

/** Text put in place of key material in messages and log lines. */
export const REDACTED_KEY = '[redacted key material]';

/**
 * Tells whether `text` contains key material (PEM text, or the base64 body of a key without its
 * armour) rather than a file path or a name.
 */
export function looksLikeKeyMaterial(text: string): boolean {
  return PEM_HEADER.test(text) || BARE_DER.test(text.trim());
}

/**
 * Replaces every PEM block and every long base64 DER run in `text` with {@link REDACTED_KEY}.
 * Works on plain text and on JSON text, where newlines are written as `\n`.
 */
export function redactKeyMaterial(text: string): string {
  if (!text.includes('-----BEGIN ') && !text.includes('MII')) {
    return text;
  }
  return text.replace(PEM_BLOCK, REDACTED_KEY).replace(DER_RUN, REDACTED_KEY);
}

import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';

import { z } from 'zod';

import { parseJson } from '../util/parse-json';

const credentialsSchema = z.object({ accessKeyId: z.string(), secretAccessKey: z.string() });

/** Access key pair of the embedded store, shared by every Cratebox process on a data folder. */
export type EmbeddedCredentials = z.infer<typeof credentialsSchema>;

/**
 * Reads the embedded store's key pair from `path`, creating it on first use. A new pair is
 * written to a private file and hard-linked into place, so when two processes start at once on a
 * fresh folder one link wins and the other process reads the winner's complete file.
 */
export async function loadOrCreateCredentials(path: string): Promise<EmbeddedCredentials> {
  const existing = await readCredentials(path);
  if (existing !== null) {
    return existing;
  }

  // Signature checks stay on in the embedded store, so a signed URL expires as it would on AWS.
  const credentials: EmbeddedCredentials = {
    accessKeyId: `CRATEBOX${randomBytes(6).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  const staged = `${path}.${randomBytes(4).toString('hex')}.new`;
  await writeFile(staged, JSON.stringify(credentials), { mode: 0o600, flag: 'wx' });
  try {
    await link(staged, path);
    return credentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  } finally {
    await rm(staged, { force: true });
  }

  const winner = await readCredentials(path);
  if (winner === null) {
    throw new Error(
      `the embedded store credentials file ${path} was deleted while Cratebox started; start it again`,
    );
  }
  return winner;
}

async function readCredentials(path: string): Promise<EmbeddedCredentials | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw new Error(
      `cannot read the embedded store credentials in ${path}: ${String(error)}; delete the file to create new ones`,
      { cause: error },
    );
  }

  const parsed = credentialsSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new Error(
      `the embedded store credentials in ${path} are not valid JSON with accessKeyId and secretAccessKey; delete the file to create new ones`,
    );
  }
  return parsed.data;
}

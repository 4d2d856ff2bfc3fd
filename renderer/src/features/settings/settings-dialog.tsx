import { useCallback, useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';

import type { PublicSettings, SettingsUpdate } from '../../../../shared/settings';
import { useShell } from '../../api/shell-context';
import { useOnReconnect } from '../../api/use-connection';

interface KeyPairDraft {
  id: string;
  privateKeyPath: string;
}

interface Draft {
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

/** Settings screen: storage (embedded or AWS), CloudFront delivery and upload concurrency. */
export function SettingsDialog({ onClose }: { onClose: () => void }): ReactElement {
  const { api, kind } = useShell();
  const [settings, setSettings] = useState<PublicSettings | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<Section>>(new Set());
  const edited = useRef(false);

  const load = useCallback(() => {
    api.invoke('settings.get', {}).then(
      (loaded) => {
        setSettings(loaded);
        // A reload after the connection returns keeps what the user has typed so far.
        if (!edited.current) {
          setDraft(toDraft(loaded));
        }
      },
      (failure: Error) => setError(failure.message),
    );
  }, [api]);
  useOnReconnect(load);

  useEffect(() => {
    load();
  }, [load]);

  const set = <K extends keyof Draft>(name: K, value: Draft[K]): void => {
    edited.current = true;
    setDraft((current) => current && { ...current, [name]: value });
    setTouched((current) => new Set(current).add(sectionOf(name)));
  };
  const locked = (name: string): boolean =>
    settings?.fromEnvironment.some((field) => field === name || field.startsWith(`${name}.`)) ??
    false;

  const save = (event: FormEvent): void => {
    event.preventDefault();
    if (draft === null || settings === null) {
      return;
    }
    setSaving(true);
    setError(null);
    api
      .invoke('settings.update', toUpdate(draft, settings, touched))
      .then(onClose, (failure: Error) => setError(failure.message))
      .finally(() => setSaving(false));
  };

  return (
    <div className="dialog-backdrop" role="presentation">
      <form className="dialog" role="dialog" aria-label="Settings" onSubmit={save}>
        <h2>Settings</h2>
        {draft === null ? (
          <p className="muted">{error ?? 'Loading…'}</p>
        ) : (
          <>
            <fieldset disabled={locked('storage.bucket')}>
              <legend>Storage</legend>
              <label className="inline">
                <input
                  type="radio"
                  checked={draft.mode === 'embedded'}
                  onChange={() => set('mode', 'embedded')}
                />{' '}
                Embedded store on this computer
              </label>
              <label className="inline">
                <input
                  type="radio"
                  checked={draft.mode === 'aws'}
                  onChange={() => set('mode', 'aws')}
                />{' '}
                Amazon S3
              </label>
              {draft.mode === 'aws' && (
                <>
                  <Field label="Bucket">
                    <input
                      value={draft.bucket}
                      onChange={(event) => set('bucket', event.target.value)}
                      required
                    />
                  </Field>
                  <Field label="Region">
                    <input
                      value={draft.region}
                      placeholder="eu-west-1"
                      onChange={(event) => set('region', event.target.value)}
                    />
                  </Field>
                  <Field label="AWS profile (from ~/.aws/config)">
                    <input
                      value={draft.profile}
                      placeholder="default chain"
                      onChange={(event) => set('profile', event.target.value)}
                    />
                  </Field>
                  {kind === 'electron' && (
                    <>
                      <Field label="Access key ID (optional; a profile is safer)">
                        <input
                          value={draft.accessKeyId}
                          onChange={(event) => set('accessKeyId', event.target.value)}
                        />
                      </Field>
                      <Field label="Secret access key (stored encrypted)">
                        <input
                          type="password"
                          value={draft.secretAccessKey}
                          onChange={(event) => set('secretAccessKey', event.target.value)}
                        />
                      </Field>
                    </>
                  )}
                  <Field label="Endpoint (only for S3-compatible services)">
                    <input
                      value={draft.endpoint}
                      placeholder="https://s3.amazonaws.com"
                      onChange={(event) => set('endpoint', event.target.value)}
                    />
                  </Field>
                  <label className="inline">
                    <input
                      type="checkbox"
                      checked={draft.forcePathStyle}
                      onChange={(event) => set('forcePathStyle', event.target.checked)}
                    />{' '}
                    Path-style addressing
                  </label>
                </>
              )}
            </fieldset>

            <fieldset disabled={locked('delivery.cloudfront')}>
              <legend>Delivery</legend>
              <label className="inline">
                <input
                  type="checkbox"
                  checked={draft.cloudfrontEnabled}
                  onChange={(event) => set('cloudfrontEnabled', event.target.checked)}
                />{' '}
                Play through CloudFront signed URLs (S3 presigned URLs stay as the fallback)
              </label>
              {draft.cloudfrontEnabled && (
                <>
                  <Field label="Distribution domain">
                    <input
                      value={draft.domain}
                      placeholder="d111111abcdef8.cloudfront.net"
                      onChange={(event) => set('domain', event.target.value)}
                      required
                    />
                  </Field>
                  {draft.keyPairs.map((pair, index) => (
                    <div className="key-pair" key={index}>
                      <Field
                        label={
                          index === 0 ? 'Public key ID' : 'Next public key ID (rotation, optional)'
                        }
                      >
                        <input
                          value={pair.id}
                          onChange={(event) =>
                            set(
                              'keyPairs',
                              replaceAt(draft.keyPairs, index, { ...pair, id: event.target.value }),
                            )
                          }
                          required={index === 0}
                        />
                      </Field>
                      <Field label="Private key file (PEM)">
                        <input
                          value={pair.privateKeyPath}
                          placeholder="/path/to/private_key.pem"
                          onChange={(event) =>
                            set(
                              'keyPairs',
                              replaceAt(draft.keyPairs, index, {
                                ...pair,
                                privateKeyPath: event.target.value,
                              }),
                            )
                          }
                          required={index === 0 || pair.id !== ''}
                        />
                      </Field>
                      <label className="inline">
                        <input
                          type="radio"
                          name="active-key"
                          checked={draft.activeKeyPairId === pair.id && pair.id !== ''}
                          disabled={pair.id === ''}
                          onChange={() => set('activeKeyPairId', pair.id)}
                        />{' '}
                        Sign with this key
                      </label>
                    </div>
                  ))}
                  <Field label="Policy">
                    <select
                      value={draft.policy}
                      onChange={(event) => set('policy', event.target.value as Draft['policy'])}
                    >
                      <option value="canned">Canned (one track per URL)</option>
                      <option value="custom">Custom (wildcard resource, optional IP range)</option>
                    </select>
                  </Field>
                  {draft.policy === 'custom' && (
                    <>
                      <Field label="Resource (wildcards allowed)">
                        <input
                          value={draft.resource}
                          placeholder="https://DOMAIN/tracks/*"
                          onChange={(event) => set('resource', event.target.value)}
                        />
                      </Field>
                      <Field label="Allowed IP range (CIDR, optional)">
                        <input
                          value={draft.ipRange}
                          placeholder="203.0.113.0/24"
                          onChange={(event) => set('ipRange', event.target.value)}
                        />
                      </Field>
                    </>
                  )}
                </>
              )}
              <Field label="Signed URL lifetime (seconds)">
                <input
                  type="number"
                  min={60}
                  value={draft.urlLifetimeSeconds}
                  disabled={locked('delivery.urlLifetimeSeconds')}
                  onChange={(event) => set('urlLifetimeSeconds', Number(event.target.value))}
                />
              </Field>
            </fieldset>

            <fieldset>
              <legend>Uploads</legend>
              <Field label="Files in parallel">
                <input
                  type="number"
                  min={1}
                  max={16}
                  value={draft.parallelFiles}
                  disabled={locked('uploads.parallelFiles')}
                  onChange={(event) => set('parallelFiles', Number(event.target.value))}
                />
              </Field>
              <Field label="Parts in parallel per file">
                <input
                  type="number"
                  min={1}
                  max={16}
                  value={draft.parallelParts}
                  disabled={locked('uploads.parallelParts')}
                  onChange={(event) => set('parallelParts', Number(event.target.value))}
                />
              </Field>
              <Field label="Part size (MiB)">
                <input
                  type="number"
                  min={5}
                  max={512}
                  value={draft.partSizeMiB}
                  disabled={locked('uploads.partSizeMiB')}
                  onChange={(event) => set('partSizeMiB', Number(event.target.value))}
                />
              </Field>
            </fieldset>
            {settings !== null && settings.fromEnvironment.length > 0 && (
              <p className="muted small">
                Set by environment variables (read-only here): {settings.fromEnvironment.join(', ')}
              </p>
            )}
          </>
        )}
        {error !== null && draft !== null && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={draft === null || saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }): ReactElement {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

function replaceAt(
  pairs: [KeyPairDraft, KeyPairDraft],
  index: number,
  pair: KeyPairDraft,
): [KeyPairDraft, KeyPairDraft] {
  return index === 0 ? [pair, pairs[1]] : [pairs[0], pair];
}

function toDraft(settings: PublicSettings): Draft {
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

type Section = 'storage' | 'cloudfront' | 'other';

function sectionOf(name: keyof Draft): Section {
  if (
    [
      'mode',
      'bucket',
      'region',
      'endpoint',
      'forcePathStyle',
      'profile',
      'accessKeyId',
      'secretAccessKey',
    ].includes(name)
  ) {
    return 'storage';
  }
  if (
    [
      'cloudfrontEnabled',
      'domain',
      'keyPairs',
      'activeKeyPairId',
      'policy',
      'resource',
      'ipRange',
    ].includes(name)
  ) {
    return 'cloudfront';
  }
  return 'other';
}

// Only sections the user changed are sent: an untouched storage section must not restart the
// store, and CloudFront key file paths are never sent back to the renderer to be resent.
function toUpdate(
  draft: Draft,
  settings: PublicSettings,
  touched: ReadonlySet<Section>,
): SettingsUpdate {
  const update: SettingsUpdate = {
    uploads: {
      parallelFiles: draft.parallelFiles,
      parallelParts: draft.parallelParts,
      partSizeMiB: draft.partSizeMiB,
    },
  };
  const lockedNames = new Set(settings.fromEnvironment);

  if (touched.has('storage') && !lockedNames.has('storage.bucket')) {
    update.storage =
      draft.mode === 'embedded'
        ? { mode: 'embedded' }
        : {
            mode: 'aws',
            bucket: draft.bucket.trim(),
            ...(draft.region.trim() !== '' && { region: draft.region.trim() }),
            endpoint: draft.endpoint.trim() === '' ? null : draft.endpoint.trim(),
            forcePathStyle: draft.forcePathStyle,
            profile: draft.profile.trim() === '' ? null : draft.profile.trim(),
            ...(draft.accessKeyId !== '' && { accessKeyId: draft.accessKeyId.trim() }),
            ...(draft.secretAccessKey !== '' && { secretAccessKey: draft.secretAccessKey }),
          };
  }

  const delivery: NonNullable<SettingsUpdate['delivery']> = {};
  if (!lockedNames.has('delivery.urlLifetimeSeconds')) {
    delivery.urlLifetimeSeconds = draft.urlLifetimeSeconds;
  }
  if (touched.has('cloudfront') && !lockedNames.has('delivery.cloudfront')) {
    const keyPairs = draft.keyPairs
      .filter((pair) => pair.id.trim() !== '')
      .map((pair) => ({ id: pair.id.trim(), privateKeyPath: pair.privateKeyPath.trim() }));
    delivery.cloudfront = draft.cloudfrontEnabled
      ? {
          domain: draft.domain.trim(),
          keyPairs,
          activeKeyPairId: draft.activeKeyPairId || (keyPairs[0]?.id ?? ''),
          policy: draft.policy,
          resource:
            draft.policy === 'custom' && draft.resource.trim() !== ''
              ? draft.resource.trim()
              : null,
          ipRange:
            draft.policy === 'custom' && draft.ipRange.trim() !== '' ? draft.ipRange.trim() : null,
        }
      : null;
  }
  update.delivery = delivery;
  return update;
}

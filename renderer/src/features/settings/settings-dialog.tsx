import { useCallback, useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactElement } from 'react';

import { CrateboxError, fieldProblemsOf } from '../../../../shared/errors';
import type { FieldProblem } from '../../../../shared/errors';
import { settingsFieldLabel, settingsUpdateSchema } from '../../../../shared/settings';
import type { PublicSettings } from '../../../../shared/settings';
import { normalizeCloudFrontDomain } from '../../../../shared/settings-rules';
import { useShell } from '../../api/shell-context';
import { useOnReconnect } from '../../api/use-connection';
import {
  FIELDS_OF,
  keyPairField,
  sectionOf,
  toDraft,
  toUpdate,
  visibleFields,
} from './settings-draft';
import type { Draft, KeyPairDraft, Section } from './settings-draft';
import { Field, FieldError, invalidProps } from './settings-field';
import type { FieldErrors } from './settings-field';

/**
 * Settings screen: storage (embedded or AWS), CloudFront delivery and upload concurrency. It is a
 * modal `<dialog>`, so focus stays inside it and Escape closes it. Values are checked with the
 * schema the main process uses before they are sent, and each problem shows below its input.
 */
export function SettingsDialog({ onClose }: { onClose: () => void }): ReactElement {
  const { api, kind } = useShell();
  const dialog = useRef<HTMLDialogElement>(null);
  const [settings, setSettings] = useState<PublicSettings | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [domainNote, setDomainNote] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<Section>>(new Set());
  const edited = useRef(false);
  const focusFirstProblem = useRef(false);

  useEffect(() => {
    // React's development mode runs effects twice, and a second showModal() would throw.
    if (dialog.current !== null && !dialog.current.open) {
      dialog.current.showModal();
    }
  }, []);

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

  useEffect(() => {
    if (focusFirstProblem.current) {
      focusFirstProblem.current = false;
      dialog.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  }, [fieldErrors]);

  const clearProblems = (fields: string[]): void => {
    setError(null);
    setFieldErrors((current) => {
      const kept = Object.entries(current).filter(
        ([field]) => !fields.some((edited) => field === edited || field.startsWith(`${edited}.`)),
      );
      return kept.length === Object.keys(current).length ? current : Object.fromEntries(kept);
    });
  };

  const set = <K extends Exclude<keyof Draft, 'keyPairs'>>(name: K, value: Draft[K]): void => {
    edited.current = true;
    setDraft((current) => current && { ...current, [name]: value });
    setTouched((current) => new Set(current).add(sectionOf(name)));
    clearProblems(FIELDS_OF[name]);
  };

  const setKeyPair = (index: number, input: keyof KeyPairDraft, value: string): void => {
    edited.current = true;
    setDraft((current) => {
      if (current === null) {
        return current;
      }
      const pair = { ...current.keyPairs[index === 0 ? 0 : 1], [input]: value };
      const keyPairs: Draft['keyPairs'] =
        index === 0 ? [pair, current.keyPairs[1]] : [current.keyPairs[0], pair];
      // Renaming the key that signs keeps it the signing key.
      const renamedActive =
        input === 'id' && current.activeKeyPairId === current.keyPairs[index]?.id;
      return { ...current, keyPairs, ...(renamedActive && { activeKeyPairId: value }) };
    });
    setTouched((current) => new Set(current).add('cloudfront'));
    clearProblems([keyPairField(index, input), 'delivery.cloudfront.keyPairs']);
  };

  const locked = (name: string): boolean =>
    Object.keys(settings?.fromEnvironment ?? {}).some(
      (field) => field === name || field.startsWith(`${name}.`),
    );

  const showProblems = (problems: FieldProblem[]): void => {
    focusFirstProblem.current = true;
    setFieldErrors(Object.fromEntries(problems.map((problem) => [problem.field, problem.message])));
  };

  const save = (event: FormEvent): void => {
    event.preventDefault();
    if (draft === null || settings === null) {
      return;
    }
    const update = toUpdate(draft, settings, touched);
    const checked = settingsUpdateSchema.safeParse(update);
    if (!checked.success) {
      showProblems(fieldProblemsOf(checked.error.issues, settingsFieldLabel));
      return;
    }

    setSaving(true);
    setError(null);
    api
      .invoke('settings.update', update)
      .then(onClose, (failure: Error) => {
        if (failure instanceof CrateboxError && failure.fields.length > 0) {
          showProblems(failure.fields);
        } else {
          setError(failure.message);
        }
      })
      .finally(() => setSaving(false));
  };

  // Pasted distribution URLs keep working: the host name is what the field takes.
  const tidyDomain = (): void => {
    if (draft === null) {
      return;
    }
    const domain = normalizeCloudFrontDomain(draft.domain);
    if (domain === draft.domain.trim()) {
      return;
    }
    const removed = [
      ...(/^https:\/\//i.test(draft.domain.trim()) ? ['https://'] : []),
      ...(/\/\s*$/.test(draft.domain) ? ['the trailing /'] : []),
    ];
    set('domain', domain);
    setDomainNote(`Removed ${removed.join(' and ')}: this field takes the host name alone.`);
  };

  const shown = draft === null ? new Set<string>() : visibleFields(draft, kind === 'electron');
  const formProblems = [
    ...Object.entries(fieldErrors)
      .filter(([field]) => !shown.has(field))
      .map(([, message]) => message),
    ...(error === null ? [] : [error]),
  ];
  const errors = fieldErrors;

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-label="Settings"
      onCancel={(event) => {
        // Unmounting closes the dialog, so React and the element agree on whether it is open.
        event.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={save} noValidate>
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
                  <Field field="storage.bucket" errors={errors}>
                    <input
                      value={draft.bucket}
                      onChange={(event) => set('bucket', event.target.value)}
                      required
                      {...invalidProps(errors, 'storage.bucket')}
                    />
                  </Field>
                  <Field field="storage.region" errors={errors}>
                    <input
                      value={draft.region}
                      placeholder="eu-west-1"
                      disabled={locked('storage.region')}
                      onChange={(event) => set('region', event.target.value)}
                      {...invalidProps(errors, 'storage.region')}
                    />
                  </Field>
                  <Field field="storage.profile" hint="from ~/.aws/config" errors={errors}>
                    <input
                      value={draft.profile}
                      placeholder="default chain"
                      disabled={locked('storage.profile')}
                      onChange={(event) => set('profile', event.target.value)}
                      {...invalidProps(errors, 'storage.profile')}
                    />
                  </Field>
                  {kind === 'electron' && (
                    <>
                      <Field
                        field="storage.accessKeyId"
                        hint="optional; a profile is safer"
                        errors={errors}
                      >
                        <input
                          value={draft.accessKeyId}
                          onChange={(event) => set('accessKeyId', event.target.value)}
                          {...invalidProps(errors, 'storage.accessKeyId')}
                        />
                      </Field>
                      <Field
                        field="storage.secretAccessKey"
                        hint="stored encrypted"
                        errors={errors}
                      >
                        <input
                          type="password"
                          value={draft.secretAccessKey}
                          onChange={(event) => set('secretAccessKey', event.target.value)}
                          {...invalidProps(errors, 'storage.secretAccessKey')}
                        />
                      </Field>
                    </>
                  )}
                  <Field
                    field="storage.endpoint"
                    hint="only for S3-compatible services"
                    errors={errors}
                  >
                    <input
                      value={draft.endpoint}
                      placeholder="https://s3.amazonaws.com"
                      disabled={locked('storage.endpoint')}
                      onChange={(event) => set('endpoint', event.target.value)}
                      {...invalidProps(errors, 'storage.endpoint')}
                    />
                  </Field>
                  <label className="inline">
                    <input
                      type="checkbox"
                      checked={draft.forcePathStyle}
                      disabled={locked('storage.forcePathStyle')}
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
                  <Field field="delivery.cloudfront.domain" errors={errors} note={domainNote}>
                    <input
                      value={draft.domain}
                      placeholder="d111111abcdef8.cloudfront.net"
                      onChange={(event) => {
                        setDomainNote(null);
                        set('domain', event.target.value);
                      }}
                      onBlur={tidyDomain}
                      required
                      {...invalidProps(errors, 'delivery.cloudfront.domain')}
                    />
                  </Field>
                  {draft.keyPairs.map((pair, index) => (
                    <div className="key-pair" key={index}>
                      <Field
                        field={keyPairField(index, 'id')}
                        hint={index === 0 ? undefined : 'rotation, optional'}
                        errors={errors}
                      >
                        <input
                          value={pair.id}
                          onChange={(event) => setKeyPair(index, 'id', event.target.value)}
                          required={index === 0}
                          {...invalidProps(errors, keyPairField(index, 'id'))}
                        />
                      </Field>
                      <Field
                        field={keyPairField(index, 'privateKeyPath')}
                        hint="PEM"
                        errors={errors}
                      >
                        <input
                          value={pair.privateKeyPath}
                          placeholder="/path/to/private_key.pem"
                          onChange={(event) =>
                            setKeyPair(index, 'privateKeyPath', event.target.value)
                          }
                          required={index === 0 || pair.id !== ''}
                          {...invalidProps(errors, keyPairField(index, 'privateKeyPath'))}
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
                  <FieldError field="delivery.cloudfront.keyPairs" errors={errors} />
                  <FieldError field="delivery.cloudfront.activeKeyPairId" errors={errors} />
                  <Field field="delivery.cloudfront.policy" errors={errors}>
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
                      <Field
                        field="delivery.cloudfront.resource"
                        hint="wildcards allowed"
                        errors={errors}
                      >
                        <input
                          value={draft.resource}
                          placeholder="https://DOMAIN/tracks/*"
                          onChange={(event) => set('resource', event.target.value)}
                          {...invalidProps(errors, 'delivery.cloudfront.resource')}
                        />
                      </Field>
                      <Field
                        field="delivery.cloudfront.ipRange"
                        hint="CIDR, optional"
                        errors={errors}
                      >
                        <input
                          value={draft.ipRange}
                          placeholder="203.0.113.0/24"
                          onChange={(event) => set('ipRange', event.target.value)}
                          {...invalidProps(errors, 'delivery.cloudfront.ipRange')}
                        />
                      </Field>
                    </>
                  )}
                </>
              )}
              <Field field="delivery.urlLifetimeSeconds" hint="seconds" errors={errors}>
                <input
                  type="number"
                  min={60}
                  value={draft.urlLifetimeSeconds}
                  disabled={locked('delivery.urlLifetimeSeconds')}
                  onChange={(event) => set('urlLifetimeSeconds', Number(event.target.value))}
                  {...invalidProps(errors, 'delivery.urlLifetimeSeconds')}
                />
              </Field>
            </fieldset>

            <fieldset>
              <legend>Uploads</legend>
              <Field field="uploads.parallelFiles" errors={errors}>
                <input
                  type="number"
                  min={1}
                  max={16}
                  value={draft.parallelFiles}
                  disabled={locked('uploads.parallelFiles')}
                  onChange={(event) => set('parallelFiles', Number(event.target.value))}
                  {...invalidProps(errors, 'uploads.parallelFiles')}
                />
              </Field>
              <Field field="uploads.parallelParts" errors={errors}>
                <input
                  type="number"
                  min={1}
                  max={16}
                  value={draft.parallelParts}
                  disabled={locked('uploads.parallelParts')}
                  onChange={(event) => set('parallelParts', Number(event.target.value))}
                  {...invalidProps(errors, 'uploads.parallelParts')}
                />
              </Field>
              <Field field="uploads.partSizeMiB" hint="MiB" errors={errors}>
                <input
                  type="number"
                  min={5}
                  max={512}
                  value={draft.partSizeMiB}
                  disabled={locked('uploads.partSizeMiB')}
                  onChange={(event) => set('partSizeMiB', Number(event.target.value))}
                  {...invalidProps(errors, 'uploads.partSizeMiB')}
                />
              </Field>
            </fieldset>
            {settings !== null && <EnvironmentNote settings={settings} />}
          </>
        )}
        {formProblems.length > 0 && draft !== null && (
          <div className="error" role="alert">
            {formProblems.map((message) => (
              <p key={message}>{message}</p>
            ))}
          </div>
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
    </dialog>
  );
}

/** Names the environment variables that fix settings, and the fields they fix. */
function EnvironmentNote({ settings }: { settings: PublicSettings }): ReactElement | null {
  const entries = Object.entries(settings.fromEnvironment);
  if (entries.length === 0) {
    return null;
  }
  const names = entries.map(
    ([field, variable]) => `${variable} (${settingsFieldLabel(field) ?? field})`,
  );
  return (
    <p className="muted small" data-testid="environment-note">
      Set by environment variables (read-only here): {names.join(', ')}
    </p>
  );
}

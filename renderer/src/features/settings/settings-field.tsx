import type { ReactElement, ReactNode } from 'react';

import { settingsFieldLabel } from '../../../../shared/settings';

/** Problems shown next to settings inputs, by dotted path in the settings update. */
export type FieldErrors = Readonly<Record<string, string>>;

/** Returns the id of the element that shows the problem of a field. */
export function fieldErrorId(field: string): string {
  return `settings-error-${field.replace(/\./g, '-')}`;
}

/** Returns the ARIA attributes that tie an input to the problem shown for its field. */
export function invalidProps(
  errors: FieldErrors,
  field: string,
): { 'aria-invalid': boolean; 'aria-describedby': string | undefined } {
  const invalid = errors[field] !== undefined;
  return { 'aria-invalid': invalid, 'aria-describedby': invalid ? fieldErrorId(field) : undefined };
}

/** Labelled input of the settings screen, with its problem or hint below it. */
export function Field({
  field,
  hint,
  errors,
  note,
  children,
}: {
  field: string;
  /** Words after the label in brackets, such as the unit. */
  hint?: string;
  errors: FieldErrors;
  /** Remark below the input when there is no problem to show. */
  note?: string | null;
  children: ReactNode;
}): ReactElement {
  const label = settingsFieldLabel(field) ?? field;
  return (
    <>
      <label className="field">
        <span>{hint === undefined ? label : `${label} (${hint})`}</span>
        {children}
      </label>
      <FieldError field={field} errors={errors} />
      {errors[field] === undefined && note !== undefined && note !== null && (
        <p className="field-note">{note}</p>
      )}
    </>
  );
}

/** Problem of one field, or nothing when it has none. */
export function FieldError({
  field,
  errors,
}: {
  field: string;
  errors: FieldErrors;
}): ReactElement | null {
  const message = errors[field];
  if (message === undefined) {
    return null;
  }
  return (
    <p className="field-error" id={fieldErrorId(field)} data-field={field}>
      {message}
    </p>
  );
}

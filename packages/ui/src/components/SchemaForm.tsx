import {
  createEffect,
  createMemo,
  createSignal,
  createUniqueId,
  For,
  type JSX,
  Match,
  on,
  Show,
  Switch,
} from 'solid-js';
import type { ConfigSchema, Mode } from '../api/types.js';
import { format, type I18n, uiMessages } from '../i18n.js';
import {
  diffValues,
  type FieldSpec,
  fieldsOf,
  isVisible,
  type Problem,
  SECRET_MASK,
  validateAll,
} from '../schema.js';

export interface SchemaFormProps {
  schema: ConfigSchema;
  /** Current values (secrets masked as the API answers them). */
  value: Record<string, unknown>;
  /** Default: novice. */
  mode?: Mode;
  /**
   * Called with the changed keys only. Resolve with field messages (e.g. from
   * `ApiError.fieldErrors()`) to show them inline; throw to show a form error.
   */
  onSubmit: (patch: Record<string, unknown>) => Promise<Record<string, string> | undefined> | Promise<void>;
  submitLabel?: string;
  i18n?: Pick<I18n, 't'>;
  /** Something shown beside each field (the shell passes plugins' `fieldHelp` slot). */
  fieldHelp?: (field: string) => JSX.Element;
  /** Accessible name of the form. */
  label?: string;
}

function toInputValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

/**
 * A settings form generated from a plugin's JSON Schema: one labelled control
 * per property (text, number, checkbox, select, list, JSON), secret fields
 * masked (a stored secret is never shown; typing replaces it), validation
 * messages inline as the user types and from the server, novice/advanced
 * field selection and, in advanced mode, a raw JSON view of all values.
 *
 * @example
 * <SchemaForm schema={cfg().schema} value={cfg().config} mode={useMode().mode()}
 *   onSubmit={async (patch) => { await api.plugins.setConfig(id, patch) }} />
 */
export function SchemaForm(props: SchemaFormProps): JSX.Element {
  const t = (key: string, params?: Record<string, unknown>) =>
    props.i18n ? props.i18n.t(key, params) : format(uiMessages.en[key] ?? key, params);
  const formId = createUniqueId();
  const initial = () => props.value;
  const [values, setValues] = createSignal<Record<string, unknown>>({ ...props.value });
  const [touched, setTouched] = createSignal<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [raw, setRaw] = createSignal(false);
  const [rawText, setRawText] = createSignal('');
  const [rawError, setRawError] = createSignal<string | null>(null);
  // New values from outside (saved, refetched): start over from them.
  createEffect(
    on(
      () => props.value,
      (value) => {
        setValues({ ...value });
        setTouched({});
        setServerErrors({});
      },
      { defer: true },
    ),
  );

  const mode = () => props.mode ?? 'novice';
  const fields = createMemo(() => fieldsOf(props.schema));
  const shown = createMemo(() => fields().filter((f) => isVisible(f, mode())));
  const hiddenCount = () => fields().length - shown().length;
  const problems = createMemo(() => validateAll(props.schema, values()));
  const message = (p: Problem) => t(p.key, p.params);
  const errorOf = (key: string) => {
    const server = serverErrors()[key];
    if (server) return server;
    const p = problems()[key];
    return p && touched()[key] ? message(p) : undefined;
  };

  const set = (key: string, value: unknown) => {
    setValues((v) => ({ ...v, [key]: value }));
    setTouched((v) => ({ ...v, [key]: true }));
    if (serverErrors()[key]) setServerErrors(({ [key]: _, ...rest }) => rest);
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setFormError(null);
    if (raw() && !applyRaw()) return;
    setTouched(Object.fromEntries(fields().map((f) => [f.key, true])));
    // Hidden fields keep their values, so only the shown ones can block a submit.
    const blocking = shown().find((f) => problems()[f.key]);
    if (blocking) {
      document.getElementById(`${formId}-${blocking.key}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const patch = diffValues(initial(), values());
      const errors = ((await props.onSubmit(patch)) as Record<string, string> | undefined) ?? {};
      setServerErrors(errors);
      const first = Object.keys(errors)[0];
      if (first) {
        if (!shown().some((f) => f.key === first)) setFormError(`${first}: ${errors[first]}`);
        document.getElementById(`${formId}-${first}`)?.focus();
      }
    } catch (error) {
      setFormError(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const openRaw = (open: boolean) => {
    if (open) setRawText(JSON.stringify(values(), null, 2));
    setRaw(open);
    setRawError(null);
  };
  const applyRaw = (): boolean => {
    try {
      const parsed = JSON.parse(rawText());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      setValues(parsed as Record<string, unknown>);
      setRawError(null);
      return true;
    } catch {
      setRawError(t('ui.invalidJson'));
      return false;
    }
  };

  const Field = (fp: { field: FieldSpec }) => {
    const f = fp.field;
    const id = `${formId}-${f.key}`;
    const label = f.prop.title ?? f.key;
    const describedBy = () =>
      [f.prop.description ? `${id}-desc` : '', errorOf(f.key) ? `${id}-err` : ''].filter(Boolean).join(' ') ||
      undefined;
    const common = () => ({
      id,
      name: f.key,
      'aria-invalid': errorOf(f.key) ? true : undefined,
      'aria-describedby': describedBy(),
      'aria-required': f.required ? true : undefined,
    });
    const [reveal, setReveal] = createSignal(false);
    const secretStored = () => f.prop.secret && values()[f.key] === SECRET_MASK;
    return (
      <div class="wc-field" classList={{ 'wc-field-invalid': !!errorOf(f.key) }} data-field={f.key}>
        <Switch
          fallback={
            <>
              <label for={id}>
                {label}
                <Show when={f.required}>
                  <span class="wc-required" aria-hidden="true">
                    {' *'}
                  </span>
                </Show>
              </label>
              <Switch>
                <Match when={f.prop.enum}>
                  <select
                    {...common()}
                    class="wc-input"
                    onChange={(e) => {
                      const opt = f.prop.enum![e.currentTarget.selectedIndex - 1];
                      set(f.key, e.currentTarget.selectedIndex === 0 ? undefined : opt);
                    }}
                  >
                    <option value="" selected={values()[f.key] === undefined}>
                      —
                    </option>
                    <For each={f.prop.enum}>
                      {(opt) => (
                        <option value={String(opt)} selected={values()[f.key] === opt}>
                          {String(opt)}
                        </option>
                      )}
                    </For>
                  </select>
                </Match>
                <Match when={f.prop.type === 'number' || f.prop.type === 'integer'}>
                  <input
                    {...common()}
                    class="wc-input"
                    type="number"
                    inputMode={f.prop.type === 'integer' ? 'numeric' : 'decimal'}
                    step={f.prop.type === 'integer' ? 1 : 'any'}
                    min={f.prop.minimum}
                    max={f.prop.maximum}
                    placeholder={f.prop.default !== undefined ? String(f.prop.default) : undefined}
                    value={toInputValue(values()[f.key])}
                    onInput={(e) => {
                      const text = e.currentTarget.value;
                      set(f.key, text === '' ? undefined : Number(text));
                    }}
                  />
                </Match>
                <Match when={f.prop.secret}>
                  <div class="wc-secret">
                    <input
                      {...common()}
                      class="wc-input"
                      type={reveal() ? 'text' : 'password'}
                      autocomplete="off"
                      placeholder={secretStored() ? SECRET_MASK : ''}
                      value={secretStored() ? '' : toInputValue(values()[f.key])}
                      onInput={(e) => {
                        const text = e.currentTarget.value;
                        // Emptying the box again keeps the stored secret.
                        set(f.key, text === '' && initial()[f.key] === SECRET_MASK ? SECRET_MASK : text);
                      }}
                    />
                    <button
                      type="button"
                      class="wc-btn wc-btn-small"
                      aria-pressed={reveal()}
                      aria-controls={id}
                      onClick={() => setReveal(!reveal())}
                    >
                      {reveal() ? t('ui.secretHide') : t('ui.secretShow')}
                    </button>
                  </div>
                  <Show when={secretStored()}>
                    <p class="wc-hint">{t('ui.secretSet')}</p>
                  </Show>
                </Match>
                <Match when={f.prop.type === 'array' || f.prop.type === 'object'}>
                  <textarea
                    {...common()}
                    class="wc-input wc-mono"
                    rows={4}
                    value={toInputValue(values()[f.key])}
                    onInput={(e) => {
                      const text = e.currentTarget.value;
                      if (text.trim() === '') return set(f.key, undefined);
                      try {
                        set(f.key, JSON.parse(text));
                      } catch {
                        set(f.key, text);
                      }
                    }}
                  />
                </Match>
                <Match when={true}>
                  <input
                    {...common()}
                    class="wc-input"
                    type="text"
                    placeholder={f.prop.default !== undefined ? String(f.prop.default) : undefined}
                    minLength={f.prop.minLength}
                    maxLength={f.prop.maxLength}
                    value={toInputValue(values()[f.key])}
                    onInput={(e) => set(f.key, e.currentTarget.value)}
                  />
                </Match>
              </Switch>
            </>
          }
        >
          <Match when={f.prop.type === 'boolean'}>
            <label class="wc-check" for={id}>
              <input
                {...common()}
                type="checkbox"
                checked={values()[f.key] === true}
                onChange={(e) => set(f.key, e.currentTarget.checked)}
              />
              {label}
            </label>
          </Match>
        </Switch>
        <Show when={f.prop.description}>
          <p class="wc-hint" id={`${id}-desc`}>
            {f.prop.description}
            <Show when={f.prop.default !== undefined && mode() === 'advanced'}>
              {' '}
              {t('ui.defaultValue', { value: JSON.stringify(f.prop.default) })}
            </Show>
          </p>
        </Show>
        <Show when={errorOf(f.key)}>
          <p class="wc-error" id={`${id}-err`}>
            {errorOf(f.key)}
          </p>
        </Show>
        {props.fieldHelp?.(f.key)}
      </div>
    );
  };

  return (
    <form class="wc-form" onSubmit={submit} noValidate aria-label={props.label} aria-busy={busy()}>
      <Show
        when={!raw()}
        fallback={
          <div class="wc-field">
            <label for={`${formId}-raw`}>{t('ui.rawConfig')}</label>
            <textarea
              id={`${formId}-raw`}
              class="wc-input wc-mono"
              rows={12}
              value={rawText()}
              aria-invalid={rawError() ? true : undefined}
              aria-describedby={rawError() ? `${formId}-raw-err` : undefined}
              onInput={(e) => setRawText(e.currentTarget.value)}
            />
            <Show when={rawError()}>
              <p class="wc-error" id={`${formId}-raw-err`}>
                {rawError()}
              </p>
            </Show>
          </div>
        }
      >
        <For each={shown()}>{(field) => <Field field={field} />}</For>
      </Show>
      <Show when={mode() === 'novice' && hiddenCount() > 0}>
        <p class="wc-hint">{t('ui.hiddenFields', { n: hiddenCount() })}</p>
      </Show>
      <Show when={formError()}>
        <p class="wc-error" role="alert">
          {formError()}
        </p>
      </Show>
      <div class="wc-form-actions">
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
          {busy() ? t('ui.saving') : (props.submitLabel ?? t('ui.save'))}
        </button>
        <Show when={mode() === 'advanced'}>
          <label class="wc-check">
            <input
              type="checkbox"
              checked={raw()}
              onChange={(e) => {
                if (!e.currentTarget.checked && !applyRaw()) {
                  e.currentTarget.checked = true;
                  return;
                }
                openRaw(e.currentTarget.checked);
              }}
            />
            {t('ui.rawConfig')}
          </label>
        </Show>
      </div>
    </form>
  );
}

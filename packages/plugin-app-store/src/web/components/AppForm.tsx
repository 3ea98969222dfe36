import type { ApiError } from '@webcasa/ui';
import { type Accessor, createSignal, For, Match, type Setter, Show, Switch } from 'solid-js';
import { checkField, type FormValue } from '../../forms/validate.js';
import type { Finding, FormFieldView } from '../lib.js';

const INPUT_TYPES: Record<string, string> = {
  password: 'password',
  email: 'email',
  number: 'number',
  url: 'url',
  random: 'password',
};

/** The state of an app's form: its values, domain, TLS, port, open port, errors and safety review. */
export interface AppFormState {
  values: Accessor<Record<string, FormValue>>;
  set: (env: string, value: FormValue) => void;
  errors: Accessor<Record<string, string>>;
  setErrors: Setter<Record<string, string>>;
  domain: Accessor<string>;
  setDomain: Setter<string>;
  tls: Accessor<string>;
  setTls: Setter<string>;
  port: Accessor<string>;
  setPort: Setter<string>;
  openPort: Accessor<boolean>;
  setOpenPort: Setter<boolean>;
  findings: Accessor<Finding[] | null>;
  setFindings: Setter<Finding[] | null>;
  accepted: Accessor<boolean>;
  setAccepted: Setter<boolean>;
  failure: Accessor<string | null>;
  setFailure: Setter<string | null>;
  /**
   * Env names of secret fields that already hold a value on the server (settings of an
   * installed app). Left empty, they keep that value; the form never shows it.
   */
  secrets: ReadonlySet<string>;
}

export function createAppForm(initial: {
  values?: Record<string, FormValue>;
  domain?: string | null;
  tls?: string;
  port?: number | null;
  openPort?: boolean;
  secrets?: readonly string[];
}): AppFormState {
  const [values, setValues] = createSignal<Record<string, FormValue>>({ ...(initial.values ?? {}) });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [domain, setDomain] = createSignal(initial.domain ?? '');
  const [tls, setTls] = createSignal(initial.tls ?? 'auto');
  const [port, setPort] = createSignal(initial.port ? String(initial.port) : '');
  const [openPort, setOpenPort] = createSignal(initial.openPort ?? false);
  const [findings, setFindings] = createSignal<Finding[] | null>(null);
  const [accepted, setAccepted] = createSignal(false);
  const [failure, setFailure] = createSignal<string | null>(null);
  return {
    values,
    set(env, value) {
      setValues({ ...values(), [env]: value });
      setFindings(null);
    },
    errors,
    setErrors,
    domain,
    setDomain,
    tls,
    setTls,
    port,
    setPort,
    openPort,
    setOpenPort,
    findings,
    setFindings,
    accepted,
    setAccepted,
    failure,
    setFailure,
    secrets: new Set(initial.secrets ?? []),
  };
}

const isBlank = (v: FormValue) => v === undefined || v === null || v === '';

/** Check the form in the browser (the server checks again); errors go next to their fields. */
export function validateAppForm(
  form: AppFormState,
  fields: readonly FormFieldView[],
  o: { checkPort: boolean },
): boolean {
  const next: Record<string, string> = {};
  for (const field of fields) {
    const value = form.values()[field.env_variable];
    // A stored secret left empty keeps its value.
    if (form.secrets.has(field.env_variable) && isBlank(value)) continue;
    const result = checkField(field, value);
    if ('error' in result) next[field.env_variable] = `${field.label}: ${result.error}`;
  }
  if (o.checkPort && form.port() && !/^\d{1,5}$/.test(form.port())) next.port = 'Port: must be a number';
  form.setErrors(next);
  return Object.keys(next).length === 0;
}

/** The values to send: stored secrets left empty are not sent (the server keeps them). */
export function formValues(form: AppFormState): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [key, value] of Object.entries(form.values())) {
    if (form.secrets.has(key) && isBlank(value)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Show a server error: a 400 next to the field it names (`body.values.<ENV>`, `body.domain`,
 * `body.port`, …), a 409 about risks as the safety review to accept, anything else above the buttons.
 */
export function showServerError(form: AppFormState, error: unknown): void {
  const e = error as ApiError;
  if (e.code === 'WEBCASA_APP_STORE_RISKS') {
    const findings = (e.details as { findings?: Finding[] } | undefined)?.findings ?? [];
    form.setFindings(findings);
    form.setAccepted(false);
    return;
  }
  const byField: Record<string, string> = {};
  const issues = e.details?.issues ?? (e.field ? [{ field: e.field, message: e.message }] : []);
  for (const issue of issues) {
    const key = issue.field.replace(/^body\.values\./, '').replace(/^body\./, '');
    if (key && key !== 'body') byField[key] ??= issue.message.replace(/^body\.[\w.]+: /, '');
  }
  if (Object.keys(byField).length) form.setErrors({ ...form.errors(), ...byField });
  else form.setFailure(e.message);
}

function FieldError(props: { id: string; text: string | undefined }) {
  return (
    <Show when={props.text}>
      <p
        id={`${props.id}-error`}
        role="alert"
        class="wc-error"
        style={{ color: 'var(--wc-danger, #c0392b)', margin: 0 }}
      >
        {props.text}
      </p>
    </Show>
  );
}

/**
 * The form generated from an app's `form_fields`, with its domain, certificate, open-port and
 * port inputs. Shared by the install dialog and the settings dialog of an installed app.
 */
export function AppFormFields(props: {
  form: AppFormState;
  fields: readonly FormFieldView[];
  exposable: boolean;
  /** Editable at install; shown read-only in the settings (the port cannot change). */
  portEditable: boolean;
}) {
  const form = props.form;

  const fieldInput = (field: FormFieldView) => {
    const id = `field-${field.env_variable}`;
    const error = () => form.errors()[field.env_variable];
    const stored = form.secrets.has(field.env_variable);
    const current = () => form.values()[field.env_variable];
    const placeholder = () => {
      if (stored) return 'Unchanged (leave empty to keep the current value)';
      if (field.type === 'random') return 'Generated when left empty';
      return field.placeholder ?? '';
    };
    return (
      <div class="wc-field">
        <Switch
          fallback={
            <>
              <label for={id}>
                {field.label}
                {field.required && field.type !== 'random' && !stored ? ' *' : ''}
              </label>
              <Show
                when={field.options?.length}
                fallback={
                  <input
                    id={id}
                    class="wc-input"
                    type={stored ? 'password' : (INPUT_TYPES[field.type] ?? 'text')}
                    autocomplete={stored || field.type === 'password' ? 'new-password' : undefined}
                    placeholder={placeholder()}
                    value={String(current() ?? (stored ? '' : (field.default ?? '')))}
                    aria-invalid={error() ? 'true' : undefined}
                    aria-describedby={error() ? `${id}-error` : undefined}
                    onInput={(e) => form.set(field.env_variable, e.currentTarget.value)}
                  />
                }
              >
                <select
                  id={id}
                  class="wc-input"
                  aria-invalid={error() ? 'true' : undefined}
                  onChange={(e) => form.set(field.env_variable, e.currentTarget.value)}
                >
                  <option value="">{stored ? '— unchanged —' : '—'}</option>
                  <For each={field.options}>
                    {(o) => (
                      <option value={o.value} selected={String(current() ?? field.default ?? '') === o.value}>
                        {o.label}
                      </option>
                    )}
                  </For>
                </select>
              </Show>
            </>
          }
        >
          <Match when={field.type === 'boolean'}>
            <label>
              <input
                id={id}
                type="checkbox"
                checked={
                  current() === true ||
                  current() === 'true' ||
                  ((current() === undefined || current() === '') && field.default === true)
                }
                onChange={(e) => form.set(field.env_variable, e.currentTarget.checked)}
              />{' '}
              {field.label}
            </label>
          </Match>
        </Switch>
        <Show when={field.hint}>
          <small style={{ color: 'var(--wc-muted)' }}>{field.hint}</small>
        </Show>
        <FieldError id={id} text={error()} />
      </div>
    );
  };

  return (
    <>
      <For each={props.fields}>{(f) => fieldInput(f)}</For>
      <Show when={props.exposable}>
        <div class="wc-field">
          <label for="field-domain">Domain (optional, served over HTTPS by Caddy)</label>
          <input
            id="field-domain"
            class="wc-input"
            placeholder="app.example.com"
            value={form.domain()}
            aria-invalid={form.errors().domain ? 'true' : undefined}
            onInput={(e) => {
              form.setDomain(e.currentTarget.value);
              form.setFindings(null);
            }}
          />
          <FieldError id="field-domain" text={form.errors().domain} />
        </div>
        <Show when={form.domain().trim()}>
          <div class="wc-field">
            <label for="field-tls">HTTPS certificate</label>
            <select
              id="field-tls"
              class="wc-input"
              value={form.tls()}
              onChange={(e) => {
                form.setTls(e.currentTarget.value);
                form.setFindings(null);
              }}
            >
              <option value="auto" selected={form.tls() === 'auto'}>
                Let's Encrypt (the domain must point here)
              </option>
              <option value="internal" selected={form.tls() === 'internal'}>
                Caddy's local CA
              </option>
              <option value="off" selected={form.tls() === 'off'}>
                None (plain HTTP)
              </option>
            </select>
            <FieldError id="field-tls" text={form.errors().tls} />
          </div>
          <div class="wc-field">
            <label>
              <input
                id="field-openPort"
                type="checkbox"
                checked={form.openPort()}
                onChange={(e) => {
                  form.setOpenPort(e.currentTarget.checked);
                  form.setFindings(null);
                }}
              />{' '}
              Also open the app's port on every interface (not only 127.0.0.1)
            </label>
          </div>
        </Show>
      </Show>
      <div class="wc-field">
        <label for="field-port">Port</label>
        <input
          id="field-port"
          class="wc-input"
          inputmode="numeric"
          value={form.port()}
          readOnly={!props.portEditable}
          aria-readonly={props.portEditable ? undefined : 'true'}
          onInput={(e) => form.setPort(e.currentTarget.value)}
        />
        <Show when={!props.portEditable}>
          <small style={{ color: 'var(--wc-muted)' }}>Set at install; reinstall to change it.</small>
        </Show>
        <FieldError id="field-port" text={form.errors().port} />
      </div>
    </>
  );
}

/** The safety review's findings with the box to accept them (`verb`: "install", "apply"). */
export function RiskReview(props: { form: AppFormState; verb: string }) {
  return (
    <Show when={props.form.findings()}>
      {(list) => (
        <section aria-label="Safety review" class="card" style={{ padding: '0.75rem', margin: '0.75rem 0' }}>
          <Show when={list().length} fallback={<p>The safety review found nothing to worry about.</p>}>
            <p>
              <strong>The safety review found:</strong>
            </p>
            <ul>
              <For each={list()}>
                {(f) => (
                  <li>
                    <span class="wc-badge">{f.severity}</span> {f.service}: {f.message} <code>{f.rule}</code>
                  </li>
                )}
              </For>
            </ul>
            <label>
              <input
                type="checkbox"
                checked={props.form.accepted()}
                onChange={(e) => props.form.setAccepted(e.currentTarget.checked)}
              />{' '}
              I understand these risks and want to {props.verb} anyway
            </label>
          </Show>
        </section>
      )}
    </Show>
  );
}

/** The message of a failure that names no field, above the buttons. */
export function FormFailure(props: { form: AppFormState }) {
  return (
    <Show when={props.form.failure()}>
      <p role="alert" style={{ color: 'var(--wc-danger, #c0392b)' }}>
        {props.form.failure()}
      </p>
    </Show>
  );
}

/** The rule ids of the findings shown, to send as `acceptRisks`. */
export const acceptedRules = (form: AppFormState): string[] => [
  ...new Set((form.findings() ?? []).map((f) => f.rule)),
];

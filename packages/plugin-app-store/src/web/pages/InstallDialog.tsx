import { type ApiError, Dialog, RunProgress, useApi } from '@webcasa/ui';
import { createSignal, For, Match, Show, Switch } from 'solid-js';
import { checkField, type FormValue } from '../../forms/validate.js';
import { type AppDetail, type Finding, type FormFieldView, storeApi } from '../lib.js';

const INPUT_TYPES: Record<string, string> = {
  password: 'password',
  email: 'email',
  number: 'number',
  url: 'url',
  random: 'password',
};

/** The install form generated from the app's `form_fields`, its safety review and the install run. */
export default function InstallDialog(props: {
  app: AppDetail;
  onClose: () => void;
  onInstalled?: () => void;
}) {
  const api = storeApi();
  const core = useApi();
  const [values, setValues] = createSignal<Record<string, FormValue>>({});
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [domain, setDomain] = createSignal('');
  const [tls, setTls] = createSignal('auto');
  const [port, setPort] = createSignal(props.app.port ? String(props.app.port) : '');
  const [findings, setFindings] = createSignal<Finding[] | null>(null);
  const [accepted, setAccepted] = createSignal(false);
  const [runId, setRunId] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [failure, setFailure] = createSignal<string | null>(null);

  const set = (env: string, value: FormValue) => {
    setValues({ ...values(), [env]: value });
    setFindings(null);
  };

  function validate(): boolean {
    const next: Record<string, string> = {};
    for (const field of props.app.form_fields) {
      const result = checkField(field, values()[field.env_variable]);
      if ('error' in result) next[field.env_variable] = `${field.label}: ${result.error}`;
    }
    if (port() && !/^\d{1,5}$/.test(port())) next.port = 'Port: must be a number';
    setErrors(next);
    return Object.keys(next).length === 0;
  }

  function body() {
    return {
      source: props.app.source,
      app: props.app.id,
      values: values(),
      domain: domain().trim() || null,
      tls: tls(),
      ...(port() ? { port: Number(port()) } : {}),
    };
  }

  function showServerError(error: unknown) {
    const e = error as ApiError;
    const field = e.field?.startsWith('body.values.')
      ? e.field.slice('body.values.'.length)
      : e.field?.replace(/^body\./, '');
    if (field) setErrors({ ...errors(), [field]: e.message.replace(/^body\.[\w.]+: /, '') });
    else setFailure(e.message);
  }

  async function review(e: Event) {
    e.preventDefault();
    setFailure(null);
    if (!validate()) return;
    setBusy(true);
    try {
      const { source: _s, app: _a, ...rest } = body();
      const result = await api.post<{ findings: Finding[] }>(
        `/apps/${props.app.source}/${props.app.id}/review`,
        rest,
      );
      setFindings(result.findings);
      setAccepted(result.findings.length === 0);
    } catch (error) {
      showServerError(error);
    } finally {
      setBusy(false);
    }
  }

  async function install() {
    setBusy(true);
    setFailure(null);
    try {
      const result = await api.post<{ runId: string }>('/install', {
        ...body(),
        acceptRisks: [...new Set((findings() ?? []).map((f) => f.rule))],
      });
      setRunId(result.runId);
    } catch (error) {
      showServerError(error);
    } finally {
      setBusy(false);
    }
  }

  const fieldInput = (field: FormFieldView) => {
    const id = `field-${field.env_variable}`;
    const error = () => errors()[field.env_variable];
    return (
      <div class="wc-field">
        <Switch
          fallback={
            <>
              <label for={id}>
                {field.label}
                {field.required && field.type !== 'random' ? ' *' : ''}
              </label>
              <Show
                when={field.options?.length}
                fallback={
                  <input
                    id={id}
                    class="wc-input"
                    type={INPUT_TYPES[field.type] ?? 'text'}
                    placeholder={
                      field.type === 'random' ? 'Generated when left empty' : (field.placeholder ?? '')
                    }
                    value={String(values()[field.env_variable] ?? field.default ?? '')}
                    aria-invalid={error() ? 'true' : undefined}
                    aria-describedby={error() ? `${id}-error` : undefined}
                    onInput={(e) => set(field.env_variable, e.currentTarget.value)}
                  />
                }
              >
                <select
                  id={id}
                  class="wc-input"
                  onChange={(e) => set(field.env_variable, e.currentTarget.value)}
                >
                  <option value="">—</option>
                  <For each={field.options}>{(o) => <option value={o.value}>{o.label}</option>}</For>
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
                  values()[field.env_variable] === true ||
                  (values()[field.env_variable] === undefined && field.default === true)
                }
                onChange={(e) => set(field.env_variable, e.currentTarget.checked)}
              />{' '}
              {field.label}
            </label>
          </Match>
        </Switch>
        <Show when={field.hint}>
          <small style={{ color: 'var(--wc-muted)' }}>{field.hint}</small>
        </Show>
        <Show when={error()}>
          <p
            id={`${id}-error`}
            role="alert"
            class="wc-error"
            style={{ color: 'var(--wc-danger, #c0392b)', margin: 0 }}
          >
            {error()}
          </p>
        </Show>
      </div>
    );
  };

  return (
    <Dialog title={`Install ${props.app.name}`} onClose={props.onClose}>
      <Show
        when={runId()}
        fallback={
          <form onSubmit={review} noValidate aria-label="Install form">
            <For each={props.app.form_fields}>{(f) => fieldInput(f)}</For>
            <Show when={props.app.exposable}>
              <div class="wc-field">
                <label for="field-domain">Domain (optional, served over HTTPS by Caddy)</label>
                <input
                  id="field-domain"
                  class="wc-input"
                  placeholder="app.example.com"
                  value={domain()}
                  onInput={(e) => setDomain(e.currentTarget.value)}
                />
                <Show when={errors().domain}>
                  <p role="alert" style={{ color: 'var(--wc-danger, #c0392b)', margin: 0 }}>
                    {errors().domain}
                  </p>
                </Show>
              </div>
              <Show when={domain().trim()}>
                <div class="wc-field">
                  <label for="field-tls">HTTPS certificate</label>
                  <select
                    id="field-tls"
                    class="wc-input"
                    value={tls()}
                    onChange={(e) => setTls(e.currentTarget.value)}
                  >
                    <option value="auto">Let's Encrypt (the domain must point here)</option>
                    <option value="internal">Caddy's local CA</option>
                    <option value="off">None (plain HTTP)</option>
                  </select>
                </div>
              </Show>
            </Show>
            <div class="wc-field">
              <label for="field-port">Port</label>
              <input
                id="field-port"
                class="wc-input"
                inputmode="numeric"
                value={port()}
                onInput={(e) => setPort(e.currentTarget.value)}
              />
              <Show when={errors().port}>
                <p role="alert" style={{ color: 'var(--wc-danger, #c0392b)', margin: 0 }}>
                  {errors().port}
                </p>
              </Show>
            </div>
            <Show when={findings()}>
              {(list) => (
                <section
                  aria-label="Safety review"
                  class="card"
                  style={{ padding: '0.75rem', margin: '0.75rem 0' }}
                >
                  <Show
                    when={list().length}
                    fallback={<p>The safety review found nothing to worry about.</p>}
                  >
                    <p>
                      <strong>The safety review found:</strong>
                    </p>
                    <ul>
                      <For each={list()}>
                        {(f) => (
                          <li>
                            <span class="wc-badge">{f.severity}</span> {f.service}: {f.message}{' '}
                            <code>{f.rule}</code>
                          </li>
                        )}
                      </For>
                    </ul>
                    <label>
                      <input
                        type="checkbox"
                        checked={accepted()}
                        onChange={(e) => setAccepted(e.currentTarget.checked)}
                      />{' '}
                      I understand these risks and want to install anyway
                    </label>
                  </Show>
                </section>
              )}
            </Show>
            <Show when={failure()}>
              <p role="alert" style={{ color: 'var(--wc-danger, #c0392b)' }}>
                {failure()}
              </p>
            </Show>
            <div
              style={{ display: 'flex', gap: '0.5rem', 'justify-content': 'flex-end', 'margin-top': '1rem' }}
            >
              <button type="button" class="wc-btn" onClick={props.onClose}>
                Cancel
              </button>
              <Show
                when={findings()}
                fallback={
                  <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
                    Review
                  </button>
                }
              >
                <button
                  type="button"
                  class="wc-btn wc-btn-primary"
                  disabled={busy() || !accepted()}
                  onClick={install}
                >
                  Install
                </button>
              </Show>
            </div>
          </form>
        }
      >
        {(id) => <RunProgress api={core} runId={id()} onEnd={() => props.onInstalled?.()} />}
      </Show>
    </Dialog>
  );
}

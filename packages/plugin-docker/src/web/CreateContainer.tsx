import './docker.css';
import { ApiError, Dialog } from '@webcasa/ui';
import { createSignal, createUniqueId, For, type JSX, Show } from 'solid-js';
import type { SafetyFinding } from '../api.js';
import {
  type ContainerFormValues,
  emptyContainerForm,
  type FormField,
  fieldOfServerError,
  toCreateBody,
} from './container-form.js';
import { docker, errorText, useDockerI18n } from './lib.js';

const MiB = 1024 * 1024;

/** The advanced "Create container" dialog: `POST /containers`, with the safety review on 422. */
export function CreateContainer(props: { onClose: () => void; onCreated: (name: string) => void }) {
  const { t } = useDockerI18n();
  const api = docker();
  const [values, setValues] = createSignal<ContainerFormValues>(emptyContainerForm());
  const [errors, setErrors] = createSignal<Partial<Record<FormField, string>>>({});
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [findings, setFindings] = createSignal<{ list: SafetyFinding[]; rules: string[] } | null>(null);
  const [accepted, setAccepted] = createSignal(false);
  const set = <K extends keyof ContainerFormValues>(key: K, value: ContainerFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (key !== 'start') setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const create = async (acceptRisks?: string[]) => {
    setError('');
    const parsed = toCreateBody(values());
    if (!parsed.ok) {
      const out: Partial<Record<FormField, string>> = {};
      for (const [k, p] of Object.entries(parsed.errors)) out[k as FormField] = t(p.key, p.params);
      setErrors(out);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const r = await api.post<{ id: string; name: string }>('/containers', {
        ...parsed.body,
        ...(acceptRisks ? { acceptRisks } : {}),
      });
      props.onCreated(r.name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'DOCKER_RISKS_NOT_ACCEPTED') {
        const list = (e.details?.findings as SafetyFinding[] | undefined) ?? [];
        const rules = (e.details?.rules as string[] | undefined) ?? [...new Set(list.map((f) => f.rule))];
        setAccepted(false);
        setFindings({ list, rules });
        return;
      }
      const field = e instanceof ApiError ? serverField(e) : undefined;
      if (e instanceof ApiError && field) {
        let message = e.fieldErrors()[e.field?.replace(/^body\.?/, '') ?? ''] ?? e.message;
        // The server counts bytes; the form counts MiB.
        if (field === 'memory') message = message.replace(/\d{7,}/g, (n) => `${Number(n) / MiB} MiB`);
        setErrors({ [field]: message });
      } else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = (ev: Event) => {
    ev.preventDefault();
    void create();
  };

  const restartOptions = ['', 'no', 'always', 'unless-stopped', 'on-failure'] as const;

  return (
    <>
      <Dialog title={t('docker.createContainer')} onClose={props.onClose} class="docker-wide-dialog">
        <form
          onSubmit={submit}
          noValidate
          data-testid="create-container"
          style={{
            display: 'grid',
            gap: '0.25rem 1rem',
            'grid-template-columns': 'repeat(auto-fit, minmax(16rem, 1fr))',
          }}
        >
          <Field label={t('docker.image')} error={errors().image} required>
            {(id, describedBy) => (
              <input
                id={id}
                class="wc-input"
                placeholder="nginx:alpine"
                value={values().image}
                aria-required="true"
                aria-invalid={errors().image ? true : undefined}
                aria-describedby={describedBy()}
                onInput={(e) => set('image', e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label={t('docker.name')} error={errors().name}>
            {(id, describedBy) => (
              <input
                id={id}
                class="wc-input"
                value={values().name}
                aria-invalid={errors().name ? true : undefined}
                aria-describedby={describedBy()}
                onInput={(e) => set('name', e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label={t('docker.command')} hint={t('docker.commandHint')} error={errors().command} wide>
            {(id, describedBy) => (
              <input
                id={id}
                class="wc-input"
                spellcheck={false}
                style={{ 'font-family': 'monospace' }}
                placeholder="sleep 3600"
                value={values().command}
                aria-invalid={errors().command ? true : undefined}
                aria-describedby={describedBy()}
                onInput={(e) => set('command', e.currentTarget.value)}
              />
            )}
          </Field>
          <For
            each={
              [
                ['env', 'docker.env', 'TZ=Europe/Berlin'],
                ['ports', 'docker.ports', '127.0.0.1:8080:80\n5353:53/udp'],
                ['volumes', 'docker.mounts', 'data:/var/lib/app\n/srv/config:/config:ro'],
              ] as const
            }
          >
            {([key, label, placeholder]) => (
              <Field label={t(label)} error={errors()[key]} wide>
                {(id, describedBy) => (
                  <textarea
                    id={id}
                    class="wc-input"
                    rows={3}
                    spellcheck={false}
                    style={{ 'font-family': 'monospace' }}
                    placeholder={placeholder}
                    value={values()[key]}
                    aria-invalid={errors()[key] ? true : undefined}
                    aria-describedby={describedBy()}
                    onInput={(e) => set(key, e.currentTarget.value)}
                  />
                )}
              </Field>
            )}
          </For>
          <Field label={t('docker.restart')} error={errors().restart}>
            {(id, describedBy) => (
              <select
                id={id}
                class="wc-input"
                value={values().restart}
                aria-describedby={describedBy()}
                onChange={(e) => set('restart', e.currentTarget.value as ContainerFormValues['restart'])}
              >
                <For each={restartOptions}>
                  {(o) => <option value={o}>{t(`docker.restart.${o || 'default'}`)}</option>}
                </For>
              </select>
            )}
          </Field>
          <div />
          <Field label={t('docker.memory')} error={errors().memory}>
            {(id, describedBy) => (
              <input
                id={id}
                class="wc-input"
                type="number"
                min="6"
                step="1"
                inputMode="numeric"
                value={values().memory}
                aria-invalid={errors().memory ? true : undefined}
                aria-describedby={describedBy()}
                onInput={(e) => set('memory', e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label={t('docker.cpus')} error={errors().cpus}>
            {(id, describedBy) => (
              <input
                id={id}
                class="wc-input"
                type="number"
                min="0.01"
                step="0.01"
                placeholder="0.5"
                value={values().cpus}
                aria-invalid={errors().cpus ? true : undefined}
                aria-describedby={describedBy()}
                onInput={(e) => set('cpus', e.currentTarget.value)}
              />
            )}
          </Field>
          <label class="wc-check" style={{ 'grid-column': '1 / -1' }}>
            <input
              type="checkbox"
              checked={values().start}
              onChange={(e) => set('start', e.currentTarget.checked)}
            />
            {t('docker.startNow')}
          </label>
          <Show when={error()}>
            <p role="alert" class="wc-error" style={{ 'grid-column': '1 / -1', 'white-space': 'pre-wrap' }}>
              {error()}
            </p>
          </Show>
          <div style={{ display: 'flex', gap: '0.5rem', 'grid-column': '1 / -1', 'margin-top': '0.5rem' }}>
            <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
              {t('docker.create')}
            </button>
            <button type="button" class="wc-btn" onClick={props.onClose}>
              {t('docker.cancel')}
            </button>
          </div>
        </form>
      </Dialog>
      <Show when={findings()}>
        {(f) => (
          <Dialog title={t('docker.review')} role="alertdialog" onClose={() => setFindings(null)}>
            <div data-testid="safety-warnings">
              <p>{t('docker.reviewContainerIntro')}</p>
              <ul>
                <For each={f().list}>
                  {(x) => (
                    <li>
                      <span class="wc-badge">{x.severity}</span> <code>{x.path}</code>: {x.message}
                    </li>
                  )}
                </For>
              </ul>
              <label class="wc-check">
                <input
                  type="checkbox"
                  checked={accepted()}
                  onChange={(e) => setAccepted(e.currentTarget.checked)}
                />
                {t('docker.accept')}
              </label>
              <div style={{ display: 'flex', gap: '0.5rem', 'margin-top': '0.75rem' }}>
                <button
                  type="button"
                  class="wc-btn wc-btn-primary"
                  disabled={!accepted()}
                  onClick={() => {
                    const rules = f().rules;
                    setFindings(null);
                    void create(rules);
                  }}
                >
                  {t('docker.createAnyway')}
                </button>
                <button type="button" class="wc-btn" onClick={() => setFindings(null)}>
                  {t('docker.cancel')}
                </button>
              </div>
            </div>
          </Dialog>
        )}
      </Show>
    </>
  );
}

/** The form field an API error belongs to: the named field, or a missing image or taken name. */
function serverField(e: ApiError): FormField | undefined {
  const named = fieldOfServerError(e.field);
  if (named) return named;
  if (e.status === 404 && /image/i.test(e.message)) return 'image';
  if (e.status === 409 && /name/i.test(e.message)) return 'name';
  return undefined;
}

/** A labelled field with its hint and its error below (`aria-describedby` points at both). */
function Field(props: {
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
  wide?: boolean;
  children: (id: string, describedBy: () => string | undefined) => JSX.Element;
}) {
  const id = createUniqueId();
  const describedBy = () =>
    [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div
      class="wc-field"
      classList={{ 'wc-field-invalid': !!props.error }}
      style={props.wide ? { 'grid-column': '1 / -1', margin: 0 } : { margin: 0 }}
    >
      <label for={id}>
        {props.label}
        <Show when={props.required}>
          <span class="wc-required"> *</span>
        </Show>
      </label>
      {props.children(id, describedBy)}
      <Show when={props.hint}>
        <p id={`${id}-hint`} class="wc-hint">
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p id={`${id}-error`} class="wc-error" data-testid="field-error">
          {props.error}
        </p>
      </Show>
    </div>
  );
}

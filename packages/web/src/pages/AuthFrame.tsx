import { Icon, type Locale, useI18n, useTheme } from '@webcasa/ui';
import { createUniqueId, For, type ParentProps } from 'solid-js';
import { LOCALES } from '../i18n.js';

/** The frame of the sign-in and setup pages, with the language and theme switches. */
export function AuthFrame(props: ParentProps<{ title: string }>) {
  const { t, locale, setLocale } = useI18n();
  const theme = useTheme();
  const langId = createUniqueId();
  return (
    <div class="auth">
      <div class="auth-tools">
        <label for={langId} class="wc-sr-only">
          {t('top.language')}
        </label>
        <select id={langId} class="wc-input" onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
          <For each={LOCALES}>
            {(l) => (
              <option value={l.id} selected={locale() === l.id}>
                {l.label}
              </option>
            )}
          </For>
        </select>
        <button
          type="button"
          class="wc-icon-btn"
          aria-label={`${t('top.theme')}: ${theme.theme() === 'dark' ? t('top.dark') : t('top.light')}`}
          aria-pressed={theme.theme() === 'dark'}
          onClick={() => theme.setTheme(theme.theme() === 'dark' ? 'light' : 'dark')}
        >
          <Icon name={theme.theme() === 'dark' ? 'moon' : 'sun'} />
        </button>
      </div>
      <main class="auth-card" id="main">
        <p class="brand">Web.Casa</p>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </div>
  );
}

/** A labelled input with its hint and error wired for screen readers. */
export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  error?: string;
  autocomplete?: string;
  required?: boolean;
  ref?: (el: HTMLInputElement) => void;
  inputMode?: 'numeric' | 'text';
}) {
  const id = createUniqueId();
  const describedBy = () =>
    [props.hint ? `${id}-hint` : '', props.error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div class="wc-field" classList={{ 'wc-field-invalid': !!props.error }}>
      <label for={id}>{props.label}</label>
      <input
        ref={props.ref}
        id={id}
        name={props.name}
        class="wc-input"
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        inputMode={props.inputMode}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy() || undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint ? (
        <p class="wc-hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="wc-error" id={`${id}-err`}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

import { A, Navigate, useNavigate } from '@solidjs/router';
import { ApiError, useApi, useI18n, useShell } from '@webcasa/ui';
import { createSignal, onMount, Show } from 'solid-js';
import { useSession } from '../state/session.js';
import { AuthFrame, Field } from './AuthFrame.js';

/** First run: create the first administrator with the one-time setup token. */
export default function Setup() {
  const api = useApi();
  const { t } = useI18n();
  const shell = useShell();
  const session = useSession();
  const navigate = useNavigate();
  const [token, setToken] = createSignal('');
  const [username, setUsername] = createSignal('admin');
  const [password, setPassword] = createSignal('');
  const [password2, setPassword2] = createSignal('');
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  let first!: HTMLInputElement;
  onMount(() => first?.focus());

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setFormError(null);
    if (password() !== password2()) {
      setErrors({ password2: t('setup.mismatch') });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const answer = await api.auth.setup({
        setupToken: token(),
        username: username(),
        password: password(),
      });
      session.signedIn(answer);
      navigate('/', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'WEBCASA_SETUP_DONE') {
        navigate('/login', { replace: true });
        return;
      }
      if (err instanceof ApiError && err.field) {
        const map = err.fieldErrors();
        setErrors({ ...map, token: map.setupToken ?? '' });
      } else setFormError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={!shell.me()} fallback={<Navigate href="/" />}>
      <AuthFrame title={t('setup.title')}>
        <Show
          when={session.setupNeeded()}
          fallback={
            <p class="notice">
              {t('setup.done')} <A href="/login">{t('login.title')}</A>
            </p>
          }
        >
          <p class="wc-muted">{t('setup.intro')}</p>
          <form onSubmit={submit} aria-busy={busy()} noValidate>
            <Field
              ref={(el) => {
                first = el;
              }}
              label={t('setup.token')}
              name="setupToken"
              value={token()}
              onInput={setToken}
              hint={t('setup.tokenHint')}
              error={errors().token || undefined}
              autocomplete="off"
              required
            />
            <Field
              label={t('setup.username')}
              name="username"
              value={username()}
              onInput={setUsername}
              error={errors().username}
              autocomplete="username"
              required
            />
            <Field
              label={t('setup.password')}
              name="password"
              type="password"
              value={password()}
              onInput={setPassword}
              hint={t('setup.passwordHint')}
              error={errors().password}
              autocomplete="new-password"
              required
            />
            <Field
              label={t('setup.password2')}
              name="password2"
              type="password"
              value={password2()}
              onInput={setPassword2}
              error={errors().password2}
              autocomplete="new-password"
              required
            />
            <Show when={formError()}>
              <p class="wc-error" role="alert">
                {formError()}
              </p>
            </Show>
            <button type="submit" class="wc-btn wc-btn-primary wide" disabled={busy()}>
              {t('setup.submit')}
            </button>
          </form>
        </Show>
      </AuthFrame>
    </Show>
  );
}

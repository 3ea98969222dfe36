import { Navigate, useNavigate, useSearchParams } from '@solidjs/router';
import { ApiError, useApi, useI18n, useShell } from '@webcasa/ui';
import { createSignal, onMount, Show } from 'solid-js';
import { safeNext } from '../state/next.js';
import { useSession } from '../state/session.js';
import { AuthFrame, Field } from './AuthFrame.js';

export function Login() {
  const api = useApi();
  const { t } = useI18n();
  const shell = useShell();
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [totp, setTotp] = createSignal('');
  const [needTotp, setNeedTotp] = createSignal(false);
  const [error, setError] = createSignal<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  let first!: HTMLInputElement;
  onMount(() => first?.focus());

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.auth.login({
        username: username(),
        password: password(),
        ...(needTotp() ? { totp: totp() } : {}),
      });
      session.signedIn(answer);
      navigate(safeNext(params.next), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'WEBCASA_TOTP_REQUIRED') {
        setNeedTotp(true);
      } else {
        setError({
          message: err instanceof Error ? err.message : String(err),
          field: err instanceof ApiError ? err.field : undefined,
        });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={!session.setupNeeded()} fallback={<Navigate href="/setup" />}>
      <Show when={!shell.me()} fallback={<Navigate href={safeNext(params.next)} />}>
        <AuthFrame title={t('login.title')}>
          <Show when={params.expired}>
            <p class="notice" role="status" data-testid="session-expired">
              {t('login.expired')}
            </p>
          </Show>
          <Show when={params.signedOut}>
            <p class="notice" role="status">
              {t('login.signedOut')}
            </p>
          </Show>
          <form onSubmit={submit} aria-busy={busy()} noValidate>
            <Field
              ref={(el) => {
                first = el;
              }}
              label={t('login.username')}
              name="username"
              value={username()}
              onInput={setUsername}
              autocomplete="username"
              required
            />
            <Field
              label={t('login.password')}
              name="password"
              type="password"
              value={password()}
              onInput={setPassword}
              autocomplete="current-password"
              required
            />
            <Show when={needTotp()}>
              <Field
                label={t('login.totp')}
                name="totp"
                value={totp()}
                onInput={setTotp}
                hint={t('login.totpHint')}
                autocomplete="one-time-code"
                inputMode="numeric"
              />
            </Show>
            <Show when={error()}>
              <p class="wc-error" role="alert">
                {error()!.message}
              </p>
            </Show>
            <button type="submit" class="wc-btn wc-btn-primary wide" disabled={busy()}>
              {t('login.submit')}
            </button>
          </form>
        </AuthFrame>
      </Show>
    </Show>
  );
}

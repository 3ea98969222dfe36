import { type ApiError, type RegistrySettings as Registry, useApi, useI18n, useToast } from '@webcasa/ui';
import { createSignal, Show } from 'solid-js';
import { TextInput } from '../kit.js';

/**
 * The npm registry plugins come from: its URL and an access token. The token is
 * write-only: the panel stores it encrypted and only says whether one is set.
 */
export function RegistrySettings(props: { registry: Registry | undefined; onSaved: (r: Registry) => void }) {
  const api = useApi();
  const { t } = useI18n();
  const toast = useToast();
  const [url, setUrl] = createSignal<string | undefined>(undefined);
  const [token, setToken] = createSignal('');
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);

  const save = async (patch: { url?: string | null; token?: string | null }) => {
    setBusy(true);
    setErrors({});
    try {
      const saved = await api.installer.setRegistry(patch);
      setToken('');
      setUrl(undefined);
      props.onSaved(saved);
      toast({ kind: 'success', title: t('install.registrySaved') });
    } catch (e) {
      const err = e as ApiError;
      setErrors(typeof err.fieldErrors === 'function' ? err.fieldErrors() : { _: err.message });
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const patch: { url?: string | null; token?: string } = {};
    const typed = url();
    if (typed !== undefined) patch.url = typed.trim() === '' ? null : typed.trim();
    if (token()) patch.token = token();
    void save(patch);
  };

  return (
    <form class="registry-form" onSubmit={submit} data-testid="registry-form">
      <p class="wc-muted small">{t('install.registryCurrent', { url: props.registry?.url ?? '…' })}</p>
      <TextInput
        label={t('install.registryUrl')}
        hint={t('install.registryUrlHint')}
        value={url() ?? props.registry?.url ?? ''}
        onInput={setUrl}
        field="url"
        inputMode="url"
        placeholder="https://registry.npmjs.org/"
        error={errors().url}
      />
      <TextInput
        label={t('install.registryToken')}
        hint={props.registry?.hasToken ? t('install.registryTokenSet') : t('install.registryTokenNone')}
        value={token()}
        onInput={setToken}
        field="token"
        type="password"
        placeholder={props.registry?.hasToken ? '••••••••' : ''}
        error={errors().token}
      />
      <Show when={errors()._}>
        <p class="wc-error">{errors()._}</p>
      </Show>
      <div class="form-actions">
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
          {t('install.registrySave')}
        </button>
        <Show when={props.registry?.hasToken}>
          <button type="button" class="wc-btn" disabled={busy()} onClick={() => void save({ token: null })}>
            {t('install.registryClearToken')}
          </button>
        </Show>
      </div>
    </form>
  );
}

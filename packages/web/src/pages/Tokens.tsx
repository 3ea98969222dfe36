import {
  ApiError,
  type ApiToken,
  type Column,
  type CreatedToken,
  DataTable,
  Dialog,
  EmptyState,
  ErrorState,
  Loading,
  useApi,
  useConfirm,
  useI18n,
  useMode,
  useShell,
  useToast,
} from '@webcasa/ui';
import { createResource, createSignal, Show } from 'solid-js';
import { Field } from './AuthFrame.js';

export default function Tokens() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const shell = useShell();
  const mode = useMode();
  const confirm = useConfirm();
  const toast = useToast();
  const [all, setAll] = createSignal(false);
  const [tokens, { refetch }] = createResource(
    () => ({ all: all() }),
    (q) => api.tokens.list(q),
  );
  const [name, setName] = createSignal('');
  const [scopes, setScopes] = createSignal('');
  const [days, setDays] = createSignal('');
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [created, setCreated] = createSignal<CreatedToken | null>(null);
  document.title = `${t('tokens.title')} · Web.Casa`;

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    setErrors({});
    try {
      const list = scopes()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const token = await api.tokens.create({
        name: name(),
        ...(list.length ? { scopes: list } : {}),
        ...(days().trim() ? { expiresInDays: Number(days()) } : {}),
      });
      setCreated(token);
      setName('');
      setScopes('');
      setDays('');
      void refetch();
    } catch (error) {
      setErrors(error instanceof ApiError ? error.fieldErrors() : { _: String(error) });
    }
  };

  const columns = (): Column<ApiToken>[] => [
    { key: 'name', header: t('tokens.name'), sortable: true },
    { key: 'prefix', header: t('tokens.prefix'), render: (tk) => <code>{tk.prefix}…</code> },
    ...(all() ? [{ key: 'username', header: t('tokens.owner'), sortable: true } as Column<ApiToken>] : []),
    {
      key: 'scopes',
      header: t('tokens.scopes'),
      value: (tk) => tk.scopes?.join(', ') ?? t('tokens.allScopes'),
    },
    {
      key: 'lastUsedAt',
      header: t('tokens.lastUsed'),
      sortable: true,
      render: (tk) => i18n.formatTime(tk.lastUsedAt),
    },
    {
      key: 'expiresAt',
      header: t('tokens.expires'),
      sortable: true,
      render: (tk) => (tk.expiresAt ? i18n.formatTime(tk.expiresAt) : t('tokens.never')),
    },
    {
      key: 'actions',
      header: '',
      filterable: false,
      align: 'end',
      render: (tk) => (
        <button
          type="button"
          class="wc-btn wc-btn-small"
          onClick={async () => {
            const ok = await confirm({
              title: t('tokens.confirmRevoke', { name: tk.name }),
              body: t('tokens.confirmRevokeBody'),
              confirmLabel: t('tokens.revoke'),
              danger: true,
            });
            if (!ok) return;
            try {
              await api.tokens.revoke(tk.id);
              toast({ kind: 'success', title: t('tokens.revoked', { name: tk.name }) });
              void refetch();
            } catch (error) {
              toast({ kind: 'error', title: (error as Error).message });
            }
          }}
        >
          {t('tokens.revoke')}
        </button>
      ),
    },
  ];

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('tokens.title')}</h1>
        <Show when={shell.me()?.user.role === 'admin'}>
          <label class="wc-check">
            <input type="checkbox" checked={all()} onChange={(e) => setAll(e.currentTarget.checked)} />
            {t('tokens.showAll')}
          </label>
        </Show>
      </header>
      <p class="wc-muted">{t('tokens.intro')}</p>
      <form class="inline-form" onSubmit={create} noValidate aria-label={t('tokens.create')}>
        <Field
          label={t('tokens.name')}
          name="name"
          value={name()}
          onInput={setName}
          error={errors().name}
          autocomplete="off"
        />
        <Show when={mode.isAdvanced()}>
          <Field
            label={t('tokens.scopesField')}
            name="scopes"
            value={scopes()}
            onInput={setScopes}
            hint={t('tokens.scopesHint')}
            error={errors().scopes}
          />
          <Field
            label={t('tokens.days')}
            name="expiresInDays"
            value={days()}
            onInput={setDays}
            error={errors().expiresInDays}
            inputMode="numeric"
          />
        </Show>
        <button type="submit" class="wc-btn wc-btn-primary">
          {t('tokens.create')}
        </button>
        <Show when={errors()._}>
          <p class="wc-error" role="alert">
            {errors()._}
          </p>
        </Show>
      </form>
      <Show
        when={!tokens.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={tokens.error} onRetry={refetch} />}
      >
        <Show when={tokens()} fallback={<Loading label={t('ui.loading')} />}>
          {(list) => (
            <DataTable
              caption={t('tokens.title')}
              rows={list()}
              columns={columns()}
              rowKey={(tk) => tk.id}
              i18n={i18n}
              empty={<EmptyState title={t('tokens.none')} />}
            />
          )}
        </Show>
      </Show>
      <Show when={created()}>
        {(tk) => (
          <Dialog title={t('tokens.createdTitle')} onClose={() => setCreated(null)}>
            <p>{t('tokens.createdBody')}</p>
            <label for="new-token" class="wc-sr-only">
              {tk().name}
            </label>
            <input
              id="new-token"
              class="wc-input wc-mono"
              readOnly
              value={tk().token}
              onFocus={(e) => e.currentTarget.select()}
            />
            <div class="wc-dialog-footer">
              <button
                type="button"
                class="wc-btn"
                onClick={() => {
                  void navigator.clipboard
                    ?.writeText(tk().token)
                    .then(() => toast({ kind: 'success', title: t('common.copied') }));
                }}
              >
                {t('common.copy')}
              </button>
              <button type="button" class="wc-btn wc-btn-primary" onClick={() => setCreated(null)}>
                {t('common.close')}
              </button>
            </div>
          </Dialog>
        )}
      </Show>
    </div>
  );
}

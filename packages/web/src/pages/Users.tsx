import {
  ApiError,
  type Column,
  DataTable,
  Dialog,
  ErrorState,
  Loading,
  type Role,
  type User,
  useApi,
  useConfirm,
  useI18n,
  useShell,
  useToast,
} from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { Field } from './AuthFrame.js';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export default function Users() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const shell = useShell();
  const confirm = useConfirm();
  const toast = useToast();
  const [users, { refetch }] = createResource(() => api.users.list());
  const [adding, setAdding] = createSignal(false);
  document.title = `${t('users.title')} · Web.Casa`;

  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      toast({ kind: 'success', title: done });
      await refetch();
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  };

  const columns = (): Column<User>[] => [
    { key: 'username', header: t('users.username'), sortable: true },
    {
      key: 'role',
      header: t('users.role'),
      sortable: true,
      render: (u) => (
        <select
          class="wc-input compact"
          aria-label={`${t('users.role')}: ${u.username}`}
          disabled={u.id === shell.me()?.user.id}
          onChange={(e) => {
            const role = e.currentTarget.value as Role;
            void act(() => api.users.update(u.id, { role }), t('users.updated', { name: u.username }));
          }}
        >
          <For each={ROLES}>
            {(r) => (
              <option value={r} selected={u.role === r}>
                {t(`role.${r}`)}
              </option>
            )}
          </For>
        </select>
      ),
    },
    {
      key: 'state',
      header: t('users.state'),
      sortable: true,
      value: (u) =>
        u.disabled ? 'disabled' : u.lockedUntil && u.lockedUntil > Date.now() ? 'locked' : 'active',
      render: (u) => (
        <span class={`wc-badge ${u.disabled ? 'wc-badge-disabled' : 'wc-badge-running'}`}>
          {u.disabled
            ? t('users.disabledState')
            : u.lockedUntil && u.lockedUntil > Date.now()
              ? t('users.locked')
              : t('users.active')}
        </span>
      ),
    },
    {
      key: 'createdAt',
      header: t('users.created'),
      sortable: true,
      render: (u) => i18n.formatTime(u.createdAt),
    },
    {
      key: 'actions',
      header: t('users.actions'),
      filterable: false,
      align: 'end',
      render: (u) => (
        <Show when={u.id !== shell.me()?.user.id}>
          <div class="row-actions">
            <button
              type="button"
              class="wc-btn wc-btn-small"
              onClick={() =>
                void act(
                  () => api.users.update(u.id, { disabled: !u.disabled }),
                  t('users.updated', { name: u.username }),
                )
              }
            >
              {u.disabled ? t('users.enable') : t('users.disable')}
            </button>
            <button
              type="button"
              class="wc-btn wc-btn-small"
              onClick={async () => {
                const ok = await confirm({
                  title: t('users.confirmDelete', { name: u.username }),
                  body: t('users.confirmDeleteBody'),
                  confirmLabel: t('users.delete'),
                  danger: true,
                });
                if (ok) await act(() => api.users.remove(u.id), t('users.deleted', { name: u.username }));
              }}
            >
              {t('users.delete')}
            </button>
          </div>
        </Show>
      ),
    },
  ];

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('users.title')}</h1>
        <button type="button" class="wc-btn wc-btn-primary" onClick={() => setAdding(true)}>
          {t('users.add')}
        </button>
      </header>
      <Show
        when={!users.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={users.error} onRetry={refetch} />}
      >
        <Show when={users()} fallback={<Loading label={t('ui.loading')} />}>
          {(list) => (
            <DataTable
              caption={t('users.title')}
              rows={list()}
              columns={columns()}
              rowKey={(u) => u.id}
              i18n={i18n}
            />
          )}
        </Show>
      </Show>
      <Show when={adding()}>
        <AddUser
          onClose={() => setAdding(false)}
          onCreated={(u) => {
            setAdding(false);
            toast({ kind: 'success', title: t('users.created.toast', { name: u.username }) });
            void refetch();
          }}
        />
      </Show>
    </div>
  );
}

function AddUser(props: { onClose: () => void; onCreated: (u: User) => void }) {
  const api = useApi();
  const { t } = useI18n();
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [role, setRole] = createSignal<Role>('viewer');
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onCreated(await api.users.create({ username: username(), password: password(), role: role() }));
    } catch (error) {
      setErrors(error instanceof ApiError ? error.fieldErrors() : { _: String(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('users.add')} onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        <Field
          label={t('users.username')}
          name="username"
          value={username()}
          onInput={setUsername}
          error={errors().username}
          autocomplete="off"
        />
        <Field
          label={t('users.password')}
          name="password"
          type="password"
          value={password()}
          onInput={setPassword}
          hint={t('setup.passwordHint')}
          error={errors().password}
          autocomplete="new-password"
        />
        <div class="wc-field">
          <label for="new-user-role">{t('users.role')}</label>
          <select
            id="new-user-role"
            class="wc-input"
            onChange={(e) => setRole(e.currentTarget.value as Role)}
          >
            <For each={ROLES}>
              {(r) => (
                <option value={r} selected={role() === r}>
                  {t(`role.${r}`)}
                </option>
              )}
            </For>
          </select>
        </div>
        <Show when={errors()._}>
          <p class="wc-error" role="alert">
            {errors()._}
          </p>
        </Show>
        <div class="wc-dialog-footer">
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
            {t('users.create')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

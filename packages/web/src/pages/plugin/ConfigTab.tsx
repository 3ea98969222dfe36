import {
  ApiError,
  type Column,
  type ConfigProfile,
  DataTable,
  ErrorState,
  Loading,
  SchemaForm,
  useApi,
  useConfirm,
  useI18n,
  useMode,
  useToast,
} from '@webcasa/ui';
import { createResource, createSignal, createUniqueId, For, Show } from 'solid-js';
import { TextArea, TextInput } from '../kit.js';
import type { TabProps } from './PluginDetail.js';

/** The settings form, named profiles, and TOML export and import. */
export default function ConfigTab(props: TabProps) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const toast = useToast();
  const confirm = useConfirm();
  const id = () => props.plugin.id;
  const [cfg, { refetch }] = createResource(id, (pid) => api.plugins.config(pid));
  const [profiles, { refetch: refetchProfiles }] = createResource(id, (pid) => api.plugins.profiles(pid));
  const hasConfig = () => Object.keys(props.plugin.manifest.config?.properties ?? {}).length > 0;

  const reload = () => {
    void refetch();
    void refetchProfiles();
  };

  const save = async (patch: Record<string, unknown>) => {
    try {
      await api.plugins.setConfig(id(), patch);
      toast({ kind: 'success', title: t('settings.savedPlugin', { name: props.plugin.name }) });
      reload();
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        toast({ kind: 'error', title: t('settings.invalid') });
        return error.fieldErrors();
      }
      throw error;
    }
  };

  // Profiles.
  const [name, setName] = createSignal('');
  const [copyFrom, setCopyFrom] = createSignal('');
  const [nameError, setNameError] = createSignal<string | undefined>();
  const copyId = createUniqueId();
  const createProfile = async (e: SubmitEvent) => {
    e.preventDefault();
    setNameError(undefined);
    try {
      await api.plugins.createProfile(id(), name().trim(), copyFrom() || undefined);
      toast({ kind: 'success', title: t('config.profileCreated', { name: name().trim() }) });
      setName('');
      void refetchProfiles();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        setNameError(error.fieldErrors().name ?? error.message);
      } else toast({ kind: 'error', title: (error as Error).message });
    }
  };
  const activate = async (p: ConfigProfile) => {
    try {
      await api.plugins.activateProfile(id(), p.name);
      toast({ kind: 'success', title: t('config.profileActivated', { name: p.name }) });
      reload();
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  };
  const remove = async (p: ConfigProfile) => {
    const ok = await confirm({
      title: t('config.confirmDeleteProfile', { name: p.name }),
      body: t('config.confirmDeleteProfileBody'),
      confirmLabel: t('config.deleteProfile'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.plugins.deleteProfile(id(), p.name);
      toast({ kind: 'success', title: t('config.profileDeleted', { name: p.name }) });
      void refetchProfiles();
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  };
  const profileColumns = (): Column<ConfigProfile>[] => [
    {
      key: 'name',
      header: t('config.profile'),
      sortable: true,
      render: (p) => (
        <>
          <code>{p.name}</code>{' '}
          <Show when={p.active}>
            <span class="wc-badge wc-badge-running">{t('config.active')}</span>
          </Show>
        </>
      ),
    },
    {
      key: 'actions',
      header: t('plugins.actions'),
      filterable: false,
      align: 'end',
      render: (p) => (
        <Show when={!p.active}>
          <div class="row-actions">
            <button
              type="button"
              class="wc-btn wc-btn-small"
              data-action={`activate-${p.name}`}
              onClick={() => void activate(p)}
            >
              {t('config.activate')}
            </button>
            <button
              type="button"
              class="wc-btn wc-btn-small"
              data-action={`delete-${p.name}`}
              onClick={() => void remove(p)}
            >
              {t('config.deleteProfile')}
            </button>
          </div>
        </Show>
      ),
    },
  ];

  // TOML import.
  const [toml, setToml] = createSignal('');
  const [tomlError, setTomlError] = createSignal<string | undefined>();
  const [importing, setImporting] = createSignal(false);
  const fileId = createUniqueId();
  const pickFile = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) setToml(await file.text());
  };
  const importToml = async (e: SubmitEvent) => {
    e.preventDefault();
    setTomlError(undefined);
    if (!toml().trim()) {
      setTomlError(t('config.tomlEmpty'));
      return;
    }
    setImporting(true);
    try {
      await api.plugins.importToml(id(), toml());
      toast({ kind: 'success', title: t('config.imported', { name: props.plugin.name }) });
      setToml('');
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const field = error.field?.replace(/^body\.?/, '');
        setTomlError(field ? `${field}: ${error.fieldErrors()[field] ?? error.message}` : error.message);
      } else setTomlError((error as Error).message);
    } finally {
      setImporting(false);
    }
  };

  return (
    <div class="config-tab">
      <section class="card" aria-labelledby="cfg-settings">
        <h2 id="cfg-settings">
          {t('config.settings')}
          <Show when={cfg.latest?.profile}>
            {(p) => (
              <span class="wc-muted small" data-testid="active-profile">
                {' '}
                · {t('config.profileNamed', { name: p() })}
              </span>
            )}
          </Show>
        </h2>
        <Show when={hasConfig()} fallback={<p class="wc-muted">{t('settings.noConfig')}</p>}>
          <Show when={!cfg.error} fallback={<ErrorState title={t('common.loadFailed')} error={cfg.error} />}>
            <Show when={cfg.latest} fallback={<Loading label={t('ui.loading')} />}>
              {(c) => (
                <SchemaForm
                  schema={c().schema}
                  value={c().config}
                  mode={mode.mode()}
                  onSubmit={save}
                  i18n={i18n}
                  label={t('config.settings')}
                />
              )}
            </Show>
          </Show>
        </Show>
      </section>

      <section class="card section" aria-labelledby="cfg-profiles">
        <h2 id="cfg-profiles">{t('config.profiles')}</h2>
        <p class="wc-muted">{t('config.profilesIntro')}</p>
        <Show when={profiles.latest} fallback={<Loading label={t('ui.loading')} />}>
          {(list) => (
            <DataTable
              caption={t('config.profiles')}
              rows={list()}
              columns={profileColumns()}
              rowKey={(p) => p.name}
              i18n={i18n}
              filter={false}
              pageSize={0}
            />
          )}
        </Show>
        <form
          class="inline-form section"
          onSubmit={createProfile}
          noValidate
          aria-label={t('config.createProfile')}
        >
          <TextInput
            label={t('config.newProfile')}
            field="profile-name"
            value={name()}
            onInput={setName}
            hint={t('config.profileNameHint')}
            error={nameError()}
          />
          <div class="wc-field">
            <label for={copyId}>{t('config.copyFrom')}</label>
            <select id={copyId} class="wc-input" onChange={(e) => setCopyFrom(e.currentTarget.value)}>
              <option value="">{t('config.copyCurrent')}</option>
              <For each={profiles.latest ?? []}>{(p) => <option value={p.name}>{p.name}</option>}</For>
            </select>
          </div>
          <button type="submit" class="wc-btn wc-btn-primary">
            {t('config.createProfile')}
          </button>
        </form>
      </section>

      <section class="card section" aria-labelledby="cfg-toml">
        <h2 id="cfg-toml">{t('config.toml')}</h2>
        <p class="wc-muted">{t('config.tomlIntro')}</p>
        <p>
          <a
            class="wc-btn"
            href={api.plugins.tomlUrl(id())}
            download={`${id()}.toml`}
            data-testid="toml-export"
          >
            {t('config.export')}
          </a>
        </p>
        <form onSubmit={importToml} noValidate aria-label={t('config.import')}>
          <div class="wc-field">
            <label for={fileId}>{t('config.tomlFile')}</label>
            <input id={fileId} type="file" accept=".toml,application/toml,text/plain" onChange={pickFile} />
          </div>
          <TextArea
            label={t('config.tomlText')}
            field="toml"
            value={toml()}
            onInput={(v) => {
              setToml(v);
              setTomlError(undefined);
            }}
            rows={8}
            mono
            error={tomlError()}
            placeholder={'greeting = "Hello"'}
          />
          <button type="submit" class="wc-btn wc-btn-primary" disabled={importing()}>
            {t('config.import')}
          </button>
        </form>
      </section>
    </div>
  );
}

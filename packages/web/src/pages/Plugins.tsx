import { A } from '@solidjs/router';
import {
  type Column,
  DataTable,
  EmptyState,
  ErrorState,
  Icon,
  Loading,
  type PluginInfo,
  useApi,
  useI18n,
  useMode,
  useShell,
} from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { DependencyGraph } from './DependencyGraph.js';
import { usePluginToggle } from './plugin/toggle.js';
// installer (issue 6): browse/install, update, uninstall
import { InstallSection } from './plugins/InstallSection.js';
import { installerMessages } from './plugins/messages.js';
import { type Operation, OperationPanel } from './plugins/Operation.js';
import { UninstallDialog } from './plugins/UninstallDialog.js';
import { UpdateDialog } from './plugins/UpdateDialog.js';

/** Every plugin with status, version, errors and enable/disable, and the dependency graph. */
export default function Plugins() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const [data, { refetch, mutate }] = createResource(() => api.plugins.adminList());
  // installer (issue 6): its strings load with this page; one operation is followed at a time.
  const shell = useShell();
  shell.i18n.addMessages('en', installerMessages.en);
  shell.i18n.addMessages('zh-CN', installerMessages['zh-CN']);
  const [operation, setOperation] = createSignal<Operation | null>(null);
  const [updating, setUpdating] = createSignal<PluginInfo | null>(null);
  const [uninstalling, setUninstalling] = createSignal<PluginInfo | null>(null);
  const [opsDone, setOpsDone] = createSignal(0);
  const pluginById = (id: string) => data()?.plugins.find((p) => p.id === id);
  const follow = (op: Operation) => {
    setUpdating(null);
    setUninstalling(null);
    setOperation(op);
  };
  document.title = `${t('plugins.title')} · Web.Casa`;

  const { busy, setEnabled } = usePluginToggle((info) => {
    mutate((d) => d && { ...d, plugins: d.plugins.map((p) => (p.id === info.id ? info : p)) });
    void refetch();
  });

  const columns = (): Column<PluginInfo>[] => [
    {
      key: 'name',
      header: t('plugins.name'),
      sortable: true,
      value: (p) => p.name,
      render: (p) => (
        <div class="plugin-cell">
          <Icon name={p.manifest.icon ?? 'puzzle'} />
          <div>
            <A href={`/admin/plugins/${p.id}`} class="plugin-link" data-testid={`plugin-link-${p.id}`}>
              <strong>{p.name}</strong>
            </A>{' '}
            <code class="wc-muted">{p.id}</code>
            <div class="wc-muted small">{p.description}</div>
            <Show when={p.error}>
              {(e) => (
                <div class="wc-error small" data-testid={`plugin-error-${p.id}`}>
                  <code>{e().code}</code>: {e().message}
                </div>
              )}
            </Show>
            <Show when={mode.isAdvanced() && Object.keys(p.dependencies).length > 0}>
              <div class="wc-muted small">
                {t('plugins.deps')}:{' '}
                {Object.entries(p.dependencies)
                  .map(([k, v]) => `${k}@${v}`)
                  .join(', ')}
              </div>
            </Show>
          </div>
        </div>
      ),
    },
    { key: 'version', header: t('plugins.version'), sortable: true },
    {
      key: 'status',
      header: t('plugins.status'),
      sortable: true,
      render: (p) => <span class={`wc-badge wc-badge-${p.status}`}>{t(`plugins.status.${p.status}`)}</span>,
    },
    ...(mode.isAdvanced()
      ? [{ key: 'source', header: t('plugins.source'), sortable: true } as Column<PluginInfo>]
      : []),
    {
      key: 'actions',
      header: t('plugins.actions'),
      filterable: false,
      align: 'end',
      render: (p) => (
        <div class="row-actions">
          <Show when={p.source === 'installed'}>
            <button
              type="button"
              class="wc-btn wc-btn-small"
              onClick={() => setUpdating(p)}
              aria-label={t('install.updateOf', { name: p.name })}
              data-action={`update-${p.id}`}
            >
              {t('install.update')}
            </button>
            <button
              type="button"
              class="wc-btn wc-btn-small wc-btn-danger"
              onClick={() => setUninstalling(p)}
              aria-label={t('install.uninstallOf', { name: p.name })}
              data-action={`uninstall-${p.id}`}
            >
              {t('install.uninstall')}
            </button>
          </Show>
          <Show
            when={p.enabled && p.status !== 'error' && p.status !== 'crashed'}
            fallback={
              <button
                type="button"
                class="wc-btn wc-btn-small"
                disabled={busy() === p.id}
                onClick={() => void setEnabled(p, true)}
                data-action={`enable-${p.id}`}
              >
                {t('plugins.enable')}
              </button>
            }
          >
            <button
              type="button"
              class="wc-btn wc-btn-small"
              disabled={busy() === p.id}
              onClick={() => void setEnabled(p, false)}
              data-action={`disable-${p.id}`}
            >
              {t('plugins.disable')}
            </button>
          </Show>
        </div>
      ),
    },
  ];

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('plugins.title')}</h1>
        <button type="button" class="wc-btn" onClick={() => void refetch()}>
          <Icon name="refresh-cw" size={16} />
          {t('common.refresh')}
        </button>
      </header>
      <Show
        when={!data.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={data.error} onRetry={refetch} />}
      >
        <Show when={data()} fallback={<Loading label={t('ui.loading')} />}>
          {(d) => (
            <>
              <DataTable
                caption={t('plugins.title')}
                rows={d().plugins}
                columns={columns()}
                rowKey={(p) => p.id}
                i18n={i18n}
                empty={<EmptyState title={t('plugins.none')} body={t('plugins.noneBody')} />}
              />
              <Show when={d().problems.length > 0}>
                <section class="section">
                  <h2>{t('plugins.problems')}</h2>
                  <ul class="problems">
                    <For each={d().problems}>
                      {(p) => (
                        <li>
                          <strong>{p.packageName ?? p.id}</strong> <code>{p.code}</code>: {p.message}
                        </li>
                      )}
                    </For>
                  </ul>
                </section>
              </Show>
              <Show when={operation()} keyed>
                {(op) => (
                  <OperationPanel
                    operation={op}
                    onEnd={() => {
                      setOpsDone((n) => n + 1);
                      void refetch();
                    }}
                    onDismiss={() => setOperation(null)}
                  />
                )}
              </Show>
              <InstallSection
                version={opsDone}
                onStarted={(runId, title) => follow({ runId, title, kind: 'install' })}
                onUpdate={(id) => setUpdating(pluginById(id) ?? null)}
              />
              <section class="section">
                <h2>{t('plugins.graph')}</h2>
                <p class="wc-muted">{t('plugins.graphDesc')}</p>
                <Show when={d().plugins.length > 0}>
                  <DependencyGraph
                    plugins={d().plugins}
                    title={t('plugins.graph')}
                    description={t('plugins.graphDesc')}
                  />
                </Show>
              </section>
            </>
          )}
        </Show>
      </Show>
      <Show when={updating()} keyed>
        {(p) => (
          <UpdateDialog
            plugin={p}
            onClose={() => setUpdating(null)}
            onStarted={(runId, title) =>
              follow({ runId, title, kind: 'update', plugin: { id: p.id, name: p.name, version: p.version } })
            }
          />
        )}
      </Show>
      <Show when={uninstalling()} keyed>
        {(p) => (
          <UninstallDialog
            plugin={p}
            dependents={p.dependents.map((id) => ({ id, name: pluginById(id)?.name ?? id }))}
            onClose={() => setUninstalling(null)}
            onStarted={(runId, title) =>
              follow({
                runId,
                title,
                kind: 'uninstall',
                plugin: { id: p.id, name: p.name, version: p.version },
              })
            }
          />
        )}
      </Show>
    </div>
  );
}

import {
  ApiError,
  type CoreSettings,
  ErrorState,
  Loading,
  type PluginInfo,
  SchemaForm,
  useApi,
  useI18n,
  useMode,
  useToast,
} from '@webcasa/ui';
import { createResource, createSignal, For, type JSX, Show } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { useRegistry } from '../state/registry-context.js';

/** The panel's own settings and every plugin's settings form, generated from its JSON Schema. */
export default function Settings() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const toast = useToast();
  const registry = useRegistry();
  const [core, { mutate }] = createResource(() => api.settings.get());
  const [plugins] = createResource(() => api.plugins.adminList());
  document.title = `${t('settings.title')} · Web.Casa`;

  const coreSchema = () => ({
    type: 'object' as const,
    required: ['panelName'],
    properties: {
      panelName: { type: 'string' as const, title: t('settings.panelName'), minLength: 1, maxLength: 60 },
      publicUrl: {
        type: 'string' as const,
        title: t('settings.publicUrl'),
        description: t('settings.publicUrlHint'),
      },
      defaultMode: {
        type: 'string' as const,
        title: t('settings.defaultMode'),
        enum: ['novice', 'advanced'],
      },
      locale: { type: 'string' as const, title: t('settings.locale'), enum: ['en', 'zh-CN'] },
    },
  });

  const saveCore = async (patch: Record<string, unknown>) => {
    try {
      const next = await api.settings.update(patch as Partial<CoreSettings>);
      mutate(next);
      toast({ kind: 'success', title: t('settings.saved') });
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) return error.fieldErrors();
      throw error;
    }
  };

  /** A plugin's `fieldHelp` slot, when its web entry has one. */
  const helpFor = (plugin: string) => {
    const ready = registry.ready().find((p) => p.id === plugin);
    const Help = ready?.module.slots?.fieldHelp;
    if (!Help) return undefined;
    const Component = Help as (props: { field: string; plugin: string }) => JSX.Element;
    return (field: string) => <Dynamic component={Component} field={field} plugin={plugin} />;
  };

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('settings.title')}</h1>
      </header>
      <section class="section card" aria-labelledby="settings-panel">
        <h2 id="settings-panel">{t('settings.panel')}</h2>
        <Show when={!core.error} fallback={<ErrorState title={t('common.loadFailed')} error={core.error} />}>
          <Show when={core()} fallback={<Loading label={t('ui.loading')} />}>
            {(c) => (
              <SchemaForm
                schema={coreSchema()}
                value={c() as unknown as Record<string, unknown>}
                mode="advanced"
                onSubmit={saveCore}
                i18n={i18n}
                label={t('settings.panel')}
              />
            )}
          </Show>
        </Show>
      </section>
      <h2>{t('settings.plugins')}</h2>
      <Show when={plugins()} fallback={<Loading label={t('ui.loading')} />}>
        {(list) => (
          <For each={list().plugins}>
            {(p) => <PluginSettings plugin={p} mode={mode.mode()} help={helpFor(p.id)} />}
          </For>
        )}
      </Show>
    </div>
  );
}

function PluginSettings(props: {
  plugin: PluginInfo;
  mode: 'novice' | 'advanced';
  help?: (field: string) => JSX.Element;
}) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const toast = useToast();
  const [open, setOpen] = createSignal(false);
  const [cfg, { refetch }] = createResource(open, () => api.plugins.config(props.plugin.id));
  const hasConfig = () => Object.keys(props.plugin.manifest.config?.properties ?? {}).length > 0;
  const save = async (patch: Record<string, unknown>) => {
    try {
      await api.plugins.setConfig(props.plugin.id, patch);
      toast({ kind: 'success', title: t('settings.savedPlugin', { name: props.plugin.name }) });
      void refetch();
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        toast({ kind: 'error', title: t('settings.invalid') });
        return error.fieldErrors();
      }
      throw error;
    }
  };
  return (
    <details
      class="section card plugin-settings"
      data-plugin={props.plugin.id}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary>
        <strong>{props.plugin.name}</strong> <code class="wc-muted">{props.plugin.id}</code>
      </summary>
      <Show when={hasConfig()} fallback={<p class="wc-muted">{t('settings.noConfig')}</p>}>
        <Show when={!cfg.error} fallback={<ErrorState title={t('common.loadFailed')} error={cfg.error} />}>
          <Show when={cfg()} fallback={<Loading label={t('ui.loading')} />}>
            {(c) => (
              <SchemaForm
                schema={c().schema}
                value={c().config}
                mode={props.mode}
                onSubmit={save}
                i18n={i18n}
                fieldHelp={props.help}
                label={props.plugin.name}
              />
            )}
          </Show>
        </Show>
      </Show>
    </details>
  );
}

import { ApiError, type PluginInfo, useApi, useConfirm, useI18n, useToast } from '@webcasa/ui';
import { createSignal } from 'solid-js';
import { useRegistry } from '../../state/registry-context.js';

/**
 * Enable or disable a plugin as the Plugins page and the plugin's own page do it:
 * confirm a disable, offer the cascade when dependents or dependencies are in
 * the way, toast the outcome and refresh the sidebar.
 */
export function usePluginToggle(onChanged: (info: PluginInfo) => void) {
  const api = useApi();
  const { t } = useI18n();
  const confirm = useConfirm();
  const toast = useToast();
  const registry = useRegistry();
  const [busy, setBusy] = createSignal<string | null>(null);

  const setEnabled = async (p: PluginInfo, enable: boolean) => {
    if (!enable) {
      const ok = await confirm({
        title: t('plugins.confirmDisable', { name: p.name }),
        body: t('plugins.confirmDisableBody'),
        confirmLabel: t('plugins.disable'),
        danger: true,
      });
      if (!ok) return;
    }
    setBusy(p.id);
    try {
      let info: PluginInfo;
      try {
        info = enable ? await api.plugins.enable(p.id) : await api.plugins.disable(p.id);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const related = (error.details?.dependents ?? error.details?.dependencies) as string[] | undefined;
        const cascadable =
          error.code === 'WEBCASA_PLUGIN_HAS_DEPENDENTS' ||
          error.code === 'WEBCASA_PLUGIN_DEPENDENCY_DISABLED';
        if (!cascadable || !related) throw error;
        const ok = await confirm({
          title: t(enable ? 'plugins.confirmEnableDeps' : 'plugins.confirmCascade', {
            name: p.name,
            list: related.join(', '),
          }),
          danger: !enable,
          always: true,
        });
        if (!ok) return;
        info = enable
          ? await api.plugins.enable(p.id, { cascade: true })
          : await api.plugins.disable(p.id, { cascade: true });
      }
      onChanged(info);
      if (info.status === 'error') {
        toast({
          kind: 'error',
          title: t('plugins.failed', { name: info.name, message: info.error?.message ?? '' }),
        });
      } else {
        toast({
          kind: 'success',
          title: t(enable ? 'plugins.enabled' : 'plugins.disabled', { name: info.name }),
        });
      }
      // This tab updates at once; others follow the panel's push on /ws/events.
      void registry.refresh().catch(() => undefined);
    } catch (error) {
      toast({
        kind: 'error',
        title: t('plugins.failed', { name: p.name, message: (error as Error).message }),
      });
    } finally {
      setBusy(null);
    }
  };
  return { busy, setEnabled };
}

import { type ApiError, Dialog, type PluginInfo, useApi, useI18n } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { Facts } from '../kit.js';

export interface UpdateDialogProps {
  plugin: PluginInfo;
  onClose: () => void;
  onStarted: (runId: string, title: string) => void;
}

/** Pick a version from the registry (default: the newest) and start the update. */
export function UpdateDialog(props: UpdateDialogProps) {
  const api = useApi();
  const { t } = useI18n();
  const [versions] = createResource(() => api.installer.versions(props.plugin.id));
  const [picked, setPicked] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const update = async () => {
    setBusy(true);
    setError(null);
    try {
      const { runId } = await api.installer.update(props.plugin.id, picked() || undefined);
      props.onStarted(runId, t('install.updateStarted', { name: props.plugin.name }));
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('install.updateTitle', { name: props.plugin.name })}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            class="wc-btn wc-btn-primary"
            disabled={busy() || !versions()}
            onClick={() => void update()}
            data-action="confirm-update"
          >
            {t('install.updateConfirm')}
          </button>
        </>
      }
    >
      <Facts
        items={[
          [t('install.package'), <code>{props.plugin.packageName}</code>],
          [t('install.currentVersion'), props.plugin.version],
        ]}
      />
      <Show when={!versions.error} fallback={<p class="wc-error">{(versions.error as Error)?.message}</p>}>
        <div class="wc-field">
          <label for="update-version">{t('install.targetVersion')}</label>
          <select
            id="update-version"
            class="wc-input"
            name="version"
            disabled={!versions()}
            onChange={(e) => setPicked(e.currentTarget.value)}
          >
            <option value="">{t('install.newest', { version: versions()?.latest ?? '…' })}</option>
            <For each={versions()?.versions ?? []}>
              {(v) => (
                <option value={v.version} selected={v.version === picked()}>
                  {v.version}
                  {v.version === props.plugin.version ? ` (${t('install.currentVersion')})` : ''}
                  {v.deprecated ? ` (${t('install.deprecated')})` : ''}
                </option>
              )}
            </For>
          </select>
        </div>
      </Show>
      <p class="wc-hint">{t('install.updateHint')}</p>
      <Show when={error()}>
        <p class="wc-error" role="alert">
          {error()}
        </p>
      </Show>
    </Dialog>
  );
}

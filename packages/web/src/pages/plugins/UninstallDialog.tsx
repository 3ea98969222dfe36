import { type ApiError, Dialog, type PluginInfo, useApi, useI18n } from '@webcasa/ui';
import { createSignal, For, Show } from 'solid-js';
import { Checkbox } from '../kit.js';

export interface UninstallDialogProps {
  plugin: PluginInfo;
  /** Names of the plugins that need this one (they are stopped too, with cascade). */
  dependents: { id: string; name: string }[];
  onClose: () => void;
  onStarted: (runId: string, title: string) => void;
}

/** Uninstall with the two choices the API offers: keep the data folder, and cascade to dependents. */
export function UninstallDialog(props: UninstallDialogProps) {
  const api = useApi();
  const { t } = useI18n();
  const [keepData, setKeepData] = createSignal(false);
  const [cascade, setCascade] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  let cancel!: HTMLButtonElement;

  const uninstall = async () => {
    setBusy(true);
    setError(null);
    try {
      const { runId } = await api.installer.uninstall(props.plugin.id, {
        keepData: keepData(),
        cascade: cascade(),
      });
      props.onStarted(runId, t('install.uninstallStarted', { name: props.plugin.name }));
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('install.uninstallTitle', { name: props.plugin.name })}
      role="alertdialog"
      onClose={props.onClose}
      initialFocus={() => cancel}
      footer={
        <>
          <button ref={cancel} type="button" class="wc-btn" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            class="wc-btn wc-btn-danger"
            disabled={busy() || (props.dependents.length > 0 && !cascade())}
            onClick={() => void uninstall()}
            data-action="confirm-uninstall"
          >
            {t('install.uninstallConfirm')}
          </button>
        </>
      }
    >
      <p>{t('install.uninstallBody')}</p>
      <Checkbox
        label={t('install.keepData')}
        hint={t('install.keepDataHint')}
        checked={keepData()}
        onChange={setKeepData}
        field="keepData"
      />
      <Show when={props.dependents.length > 0}>
        <section data-testid="uninstall-dependents">
          <p>{t('install.dependents')}</p>
          <ul>
            <For each={props.dependents}>
              {(d) => (
                <li>
                  <strong>{d.name}</strong> <code class="wc-muted">{d.id}</code>
                </li>
              )}
            </For>
          </ul>
          <Checkbox
            label={t('install.cascade')}
            checked={cascade()}
            onChange={setCascade}
            field="cascade"
            hint={cascade() ? undefined : t('install.cascadeNeeded')}
          />
        </section>
      </Show>
      <Show when={error()}>
        <p class="wc-error" role="alert">
          {error()}
        </p>
      </Show>
    </Dialog>
  );
}

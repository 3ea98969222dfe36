import { type ApiError, Dialog, type InstallPlan, type InstallSource, useApi, useI18n } from '@webcasa/ui';
import { createSignal, For, Show } from 'solid-js';
import { Checkbox, Facts } from '../kit.js';

export interface PermissionsDialogProps {
  plan: InstallPlan;
  source: InstallSource;
  onClose: () => void;
  /** The install was accepted by the panel: follow this run. */
  onStarted: (runId: string, title: string) => void;
}

/**
 * What an install asks for, before anything runs: the permissions and scopes
 * the manifest declares, its plugin API range, missing plugin dependencies and
 * blocking problems. Install is enabled once the admin accepted the
 * permissions (and agreed to install missing dependencies, when there are any).
 */
export function PermissionsDialog(props: PermissionsDialogProps) {
  const api = useApi();
  const { t } = useI18n();
  const [accepted, setAccepted] = createSignal(false);
  const [withDeps, setWithDeps] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const missing = () => Object.entries(props.plan.missingDependencies);
  const scopes = () => Object.entries(props.plan.scopes ?? {});
  const blocked = () => props.plan.problems.length > 0 || props.plan.installedVersion !== undefined;
  const ready = () =>
    !blocked() &&
    (props.plan.permissions.length === 0 || accepted()) &&
    (missing().length === 0 || withDeps());

  const install = async () => {
    setBusy(true);
    setError(null);
    try {
      const { runId } = await api.installer.install(props.source, {
        acceptPermissions: props.plan.permissions,
        installDependencies: withDeps(),
      });
      props.onStarted(
        runId,
        t('install.started', { what: `${props.plan.packageName}@${props.plan.version}` }),
      );
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('install.dialogTitle', { name: props.plan.name, version: props.plan.version })}
      onClose={props.onClose}
      class="install-dialog"
      footer={
        <>
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            class="wc-btn wc-btn-primary"
            disabled={!ready() || busy()}
            onClick={() => void install()}
            data-action="confirm-install"
          >
            {t('install.confirm')}
          </button>
        </>
      }
    >
      <p>{props.plan.description}</p>
      <Facts
        items={[
          [t('install.package'), <code>{`${props.plan.packageName}@${props.plan.version}`}</code>],
          [t('install.engine'), <code>{props.plan.engine}</code>],
          [t('install.sha256'), <code class="wc-mono small break">{props.plan.sha256}</code>],
        ]}
      />
      <Show when={props.plan.installedVersion}>
        {(v) => <p class="wc-error">{t('install.alreadyInstalled', { version: v() })}</p>}
      </Show>
      <Show when={props.plan.problems.length > 0}>
        <section data-testid="install-problems">
          <h3>{t('install.problems')}</h3>
          <ul class="problems">
            <For each={props.plan.problems}>{(p) => <li class="wc-error">{p}</li>}</For>
          </ul>
        </section>
      </Show>
      <section data-testid="install-permissions">
        <h3>{t('install.permissions')}</h3>
        <Show when={props.plan.permissions.length > 0} fallback={<p>{t('install.permissionsNone')}</p>}>
          <ul class="permission-list">
            <For each={props.plan.permissions}>
              {(p) => (
                <li data-permission={p}>
                  <code>{p}</code>
                </li>
              )}
            </For>
          </ul>
          <p class="wc-hint">{t('install.permissionsHint')}</p>
        </Show>
      </section>
      <Show when={scopes().length > 0}>
        <section data-testid="install-scopes">
          <h3>{t('install.scopes')}</h3>
          <ul class="permission-list">
            <For each={scopes()}>
              {([name, s]) => (
                <li data-scope={name}>
                  <code>{`plugin:${props.plan.id}:${name}`}</code>{' '}
                  <span class="wc-muted small">
                    {s.description} ({t('install.scopeMinRole', { role: t(`role.${s.minRole}`) })})
                  </span>
                </li>
              )}
            </For>
          </ul>
        </section>
      </Show>
      <Show when={missing().length > 0}>
        <section data-testid="install-missing">
          <h3>{t('install.missingDeps')}</h3>
          <ul>
            <For each={missing()}>
              {([id, range]) => (
                <li>
                  <code>{id}</code> {range}
                </li>
              )}
            </For>
          </ul>
          <Checkbox
            label={t('install.alsoDeps')}
            checked={withDeps()}
            onChange={setWithDeps}
            field="installDependencies"
            hint={withDeps() ? undefined : t('install.depsNeeded')}
          />
        </section>
      </Show>
      <Show when={props.plan.permissions.length > 0 && !blocked()}>
        <Checkbox
          label={t('install.accept')}
          checked={accepted()}
          onChange={setAccepted}
          field="acceptPermissions"
        />
      </Show>
      <Show when={error()}>
        <p class="wc-error" role="alert">
          {error()}
        </p>
      </Show>
    </Dialog>
  );
}

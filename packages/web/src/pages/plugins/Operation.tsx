import { A } from '@solidjs/router';
import { type Run, RunProgress, useApi, useI18n } from '@webcasa/ui';
import { createSignal, Show } from 'solid-js';

/** An install, update or uninstall the page follows. */
export interface Operation {
  runId: string;
  title: string;
  kind: 'install' | 'update' | 'uninstall';
  /** Update and uninstall: the plugin and its version before. */
  plugin?: { id: string; name: string; version: string };
}

/**
 * The run of the current operation (live log over `/ws/runs/<id>`), then what
 * came of it in words. An update that failed says whether the old version was
 * restored and is running (the installer rolls back), from the plugin's state
 * after the run.
 */
export function OperationPanel(props: {
  operation: Operation;
  onEnd: (run: Run) => void;
  onDismiss: () => void;
}) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [outcome, setOutcome] = createSignal<{ kind: 'success' | 'error' | 'warning'; text: string } | null>(
    null,
  );

  const describe = async (run: Run) => {
    const op = props.operation;
    const name = op.plugin?.name ?? '';
    if (run.status === 'succeeded') {
      if (op.kind === 'update' && op.plugin) {
        const now = await api.plugins.get(op.plugin.id).catch(() => undefined);
        return {
          kind: 'success' as const,
          text: t('install.updated', { name, version: now?.version ?? '' }),
        };
      }
      if (op.kind === 'uninstall')
        return { kind: 'success' as const, text: t('install.uninstalled', { name }) };
      return { kind: 'success' as const, text: t('install.succeeded', { what: op.title }) };
    }
    if (op.kind === 'update' && op.plugin) {
      const now = await api.plugins.get(op.plugin.id).catch(() => undefined);
      if (now?.status === 'running' && now.version === op.plugin.version) {
        return { kind: 'warning' as const, text: t('install.rolledBack', { name, version: now.version }) };
      }
      return {
        kind: 'error' as const,
        text: t('install.updateBroke', { name, message: run.error ?? run.status }),
      };
    }
    return {
      kind: 'error' as const,
      text: `${t('install.failed', { what: op.title })}: ${run.error ?? run.status}`,
    };
  };

  return (
    <section class="section card operation" aria-labelledby="operation-title" data-testid="plugin-operation">
      <div class="page-head">
        <h2 id="operation-title">{t('install.operation')}</h2>
        <button type="button" class="wc-btn wc-btn-small" onClick={props.onDismiss}>
          {t('install.dismiss')}
        </button>
      </div>
      <RunProgress
        api={api}
        runId={props.operation.runId}
        i18n={i18n}
        onEnd={(run) => {
          void describe(run).then((o) => {
            setOutcome(o);
            props.onEnd(run);
          });
        }}
      />
      <Show when={outcome()}>
        {(o) => (
          <p
            class={o().kind === 'error' ? 'wc-error' : o().kind === 'warning' ? 'wc-warning' : 'wc-success'}
            role={o().kind === 'success' ? 'status' : 'alert'}
            data-testid="operation-outcome"
            data-outcome={o().kind}
          >
            {o().text}
          </p>
        )}
      </Show>
      <p class="small">
        <A href={`/runs/${props.operation.runId}`}>{t('install.openRun')}</A>
      </p>
    </section>
  );
}

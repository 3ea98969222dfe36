import { type RunArtifact, useApi, useI18n } from '@webcasa/ui';
import { createResource, For, Show } from 'solid-js';
import { formatBytes } from './kit.js';

/** The files a run produced, as download links. `version` changes refetch them (e.g. when the run ends). */
export function RunArtifacts(props: { runId: string; version?: unknown }) {
  const api = useApi();
  const { t } = useI18n();
  const [artifacts] = createResource(
    () => [props.runId, props.version] as const,
    ([id]) => api.runs.artifacts(id),
  );
  return (
    <section class="artifacts" aria-label={t('runs.artifacts')} data-testid="run-artifacts">
      <h3>{t('runs.artifacts')}</h3>
      <Show when={artifacts.latest} fallback={<p class="wc-muted">{t('ui.loading')}</p>}>
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="wc-muted">{t('runs.noArtifacts')}</p>}>
            <ul class="artifact-list">
              <For each={list()}>
                {(a: RunArtifact) => (
                  <li>
                    <a href={a.url} download={a.name}>
                      {a.name}
                    </a>{' '}
                    <span class="wc-muted small">{formatBytes(a.bytes)}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </section>
  );
}

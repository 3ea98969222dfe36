import { useParams } from '@solidjs/router';
import { EmptyState, ErrorState, Loading, useI18n } from '@webcasa/ui';
import { createEffect, createMemo, ErrorBoundary, Match, Show, Suspense, Switch } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { lazyOf } from '../state/lazy.js';
import { pickRoute } from '../state/match.js';
import type { WebPluginModule } from '../state/plugins.js';
import { useRegistry } from '../state/registry-context.js';

/**
 * `/p/<plugin>/<path>`: finds the running plugin, its web entry and the route
 * for the path, and renders the page inside an error boundary, so a page that
 * throws shows an error here while the rest of the shell keeps working.
 */
export default function PluginPage() {
  const params = useParams<{ plugin: string; rest?: string }>();
  const registry = useRegistry();
  const { t } = useI18n();
  const summary = () => registry.get(params.plugin);
  const state = () => registry.modules()[params.plugin];
  const path = () => `/${params.rest ?? ''}`;
  const match = createMemo(() => {
    const s = state();
    return s?.status === 'ready' ? pickRoute((s.module as WebPluginModule).routes, path()) : null;
  });
  createEffect(() => {
    const p = summary();
    const title = p?.web.routes.find((r) => r.path === match()?.route.path)?.title ?? p?.name;
    if (title) document.title = `${title} · Web.Casa`;
  });

  return (
    <Switch>
      <Match when={!registry.loaded()}>
        <Loading label={t('ui.loading')} />
      </Match>
      <Match when={!summary()}>
        <EmptyState title={t('plugin.notRunning', { id: params.plugin })} body={t('plugin.notRunningBody')} />
      </Match>
      <Match when={!state() || state()!.status === 'loading'}>
        <Loading label={t('ui.loading')} />
      </Match>
      <Match when={state()!.status === 'none'}>
        <EmptyState title={t('plugin.noWeb')} />
      </Match>
      <Match when={state()!.status === 'error'}>
        <ErrorState title={t('plugin.loadFailed')} error={(state() as { error: string }).error} />
      </Match>
      <Match when={!match()}>
        <EmptyState title={t('plugin.noPage', { path: path() })} />
      </Match>
      <Match when={match()}>
        {(m) => (
          // Keyed by plugin and route: moving to another page resets the boundary.
          <Show when={`${params.plugin}:${m().route.path}`} keyed>
            <ErrorBoundary
              fallback={(error, reset) => (
                <div data-testid="plugin-error">
                  <ErrorState
                    title={t('plugin.pageFailed')}
                    error={error}
                    onRetry={reset}
                    retryLabel={t('ui.retry')}
                  >
                    <p class="wc-muted">{t('plugin.pageFailedBody')}</p>
                  </ErrorState>
                </div>
              )}
            >
              <Suspense fallback={<Loading label={t('ui.loading')} />}>
                <Dynamic
                  component={lazyOf(m().route.component)}
                  plugin={params.plugin}
                  params={m().params}
                  path={path()}
                />
              </Suspense>
            </ErrorBoundary>
          </Show>
        )}
      </Match>
    </Switch>
  );
}

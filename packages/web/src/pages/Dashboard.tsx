import { EmptyState, ErrorState, type Info, Loading, useApi, useI18n, useShell } from '@webcasa/ui';
import { createResource, ErrorBoundary, For, Show, Suspense } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { lazyOf } from '../state/lazy.js';
import { useRegistry } from '../state/registry-context.js';

/** Cards contributed by plugins through `slots.dashboardCards`, each behind its own boundary. */
export default function Dashboard() {
  const api = useApi();
  const { t } = useI18n();
  const shell = useShell();
  const registry = useRegistry();
  document.title = `${t('dash.title')} · Web.Casa`;
  const [info] = createResource<Info | undefined>(() => api.info().catch(() => undefined));
  const cards = () =>
    registry.ready().flatMap((p) =>
      (p.module.slots?.dashboardCards ?? []).map((card) => ({
        key: `${p.id}:${card.id}`,
        plugin: p.id,
        title: card.title,
        Component: lazyOf(card.component),
      })),
    );
  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('dash.welcome', { name: shell.me()?.user.username ?? '' })}</h1>
        <p class="wc-muted">
          {t('dash.plugins', { count: registry.list().length })}
          <Show when={info()}>
            {(i) => <> · {t('dash.version', { version: i().version, api: i().pluginApiVersion })}</>}
          </Show>
        </p>
      </header>
      <Show
        when={cards().length > 0}
        fallback={
          <Show when={registry.loaded()} fallback={<Loading label={t('ui.loading')} />}>
            <EmptyState title={t('dash.noCards')} body={t('dash.noCardsBody')} />
          </Show>
        }
      >
        <div class="cards">
          <For each={cards()}>
            {(card) => (
              <section class="card" aria-label={card.title} data-plugin={card.plugin}>
                <h2 class="card-title">{card.title}</h2>
                <ErrorBoundary fallback={(e) => <ErrorState title={t('dash.cardFailed')} error={e} />}>
                  <Suspense fallback={<Loading label={t('ui.loading')} />}>
                    <Dynamic component={card.Component} plugin={card.plugin} />
                  </Suspense>
                </ErrorBoundary>
              </section>
            )}
          </For>
        </div>
      </Show>
    </div>
  );
}

import { A, useParams } from '@solidjs/router';
import {
  ApiError,
  EmptyState,
  ErrorState,
  Loading,
  type LogLine,
  LogViewer,
  type Run,
  type RunLogLine,
  RunProgress,
  useApi,
  useI18n,
  useShell,
} from '@webcasa/ui';
import { createEffect, createResource, createSignal, Match, Show, Switch } from 'solid-js';
import { Facts, formatDuration, useRole } from './kit.js';
import { RunArtifacts } from './RunArtifacts.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Parse the NDJSON log download into viewer lines. */
function parseNdjson(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const row of text.split('\n')) {
    if (!row.trim()) continue;
    try {
      const l = JSON.parse(row) as RunLogLine;
      out.push({ seq: l.seq, time: l.time, level: l.level, line: l.line });
    } catch {
      out.push({ line: row });
    }
  }
  return out;
}

/**
 * `/runs/:id` — one run: live progress and log over `/ws/runs/:id` while it
 * runs, the stored log once it ended; cancel, log downloads and artifacts.
 */
export default function RunDetail() {
  const params = useParams<{ id: string }>();
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const role = useRole();
  const shell = useShell();
  const isAdmin = () => shell.me()?.user.role === 'admin';
  const [run, { refetch, mutate }] = createResource(
    () => params.id,
    (id) => api.runs.get(id),
  );
  // Followed live only if it was running when the page opened; an ended run shows its stored log.
  const [live, setLive] = createSignal<boolean | null>(null);
  createEffect(() => {
    const r = run.latest;
    if (r && live() === null) setLive(!ENDED.has(r.status));
  });
  const [stored] = createResource(
    () => (live() === false ? params.id : undefined),
    async (id) =>
      parseNdjson(
        await api.request<string>('GET', `/api/runs/${encodeURIComponent(id)}/log`, {
          query: { format: 'ndjson' },
        }),
      ),
  );
  createEffect(() => {
    document.title = `${run.latest?.title ?? params.id} · ${t('runs.title')} · Web.Casa`;
  });

  const facts = (r: Run): [string, string | null | ReturnType<typeof A>][] => [
    [t('runs.plugin'), isAdmin() ? <A href={`/admin/plugins/${r.plugin}`}>{r.plugin}</A> : r.plugin],
    [t('runs.status'), t(`ui.run.${r.status}`)],
    [t('runs.by'), r.createdBy],
    [t('runs.created'), i18n.formatTime(r.createdAt)],
    [t('runs.started'), i18n.formatTime(r.startedAt)],
    [t('runs.ended'), i18n.formatTime(r.endedAt)],
    [t('runs.duration'), formatDuration(r.startedAt ? (r.endedAt ?? Date.now()) - r.startedAt : null)],
    [t('runs.id'), r.id],
  ];

  return (
    <div class="page run-detail">
      <nav class="crumbs" aria-label={t('plugin.crumbs')}>
        <A href="/runs">{t('runs.title')}</A>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{run.latest?.title ?? params.id}</span>
      </nav>
      <Switch fallback={<Loading label={t('ui.loading')} />}>
        <Match when={run.error instanceof ApiError && (run.error as ApiError).status === 404}>
          <EmptyState title={t('runs.notFound', { id: params.id })} />
        </Match>
        <Match when={run.error}>
          <ErrorState title={t('common.loadFailed')} error={run.error} onRetry={refetch} />
        </Match>
        <Match when={run.latest}>
          {(r) => (
            <>
              <header class="page-head">
                <h1>{r().title}</h1>
                <div class="row-actions">
                  <a class="wc-btn" href={api.runs.logUrl(r().id)} download="">
                    {t('runs.downloadText')}
                  </a>
                  <a class="wc-btn" href={api.runs.logUrl(r().id, 'ndjson')} download="">
                    {t('runs.downloadNdjson')}
                  </a>
                </div>
              </header>
              <Facts items={facts(r())} label={t('runs.details')} />
              <Show when={r().error}>
                <p class="wc-error" role="alert">
                  {r().error}
                </p>
              </Show>
              <section class="section" aria-label={t('runs.log')}>
                <Switch>
                  <Match when={live() === true}>
                    <RunProgress
                      api={api}
                      runId={r().id}
                      cancellable={role.atLeast('operator')}
                      i18n={i18n}
                      onEnd={(ended) => mutate(ended)}
                    />
                  </Match>
                  <Match when={live() === false}>
                    <div class="wc-run" data-status={r().status}>
                      <div class="wc-run-head">
                        <span class={`wc-badge wc-badge-${r().status}`}>{t(`ui.run.${r().status}`)}</span>
                        <span class="wc-muted">{Math.round(r().progress * 100)}%</span>
                        <Show when={r().message}>
                          <span class="wc-muted">{r().message}</span>
                        </Show>
                      </div>
                      <Show when={stored.latest} fallback={<Loading label={t('ui.loading')} />}>
                        {(lines) => (
                          <LogViewer label={r().title} lines={lines()} follow={false} i18n={i18n} />
                        )}
                      </Show>
                    </div>
                  </Match>
                </Switch>
              </section>
              <RunArtifacts runId={r().id} version={r().status} />
            </>
          )}
        </Match>
      </Switch>
    </div>
  );
}

import { A, useNavigate } from '@solidjs/router';
import {
  ApiError,
  type CaddySettings,
  type CaddyStatus,
  type Column,
  DataTable,
  Dialog,
  EmptyState,
  ErrorState,
  Icon,
  Loading,
  type Site,
  useApi,
  useI18n,
  useMode,
  useToast,
} from '@webcasa/ui';
import { createEffect, createResource, createSignal, For, type JSX, onCleanup, Show } from 'solid-js';
import { Facts, SelectInput, TextInput, useRole } from '../kit.js';

const POLL_MS = 3000;

/** Text with `code` spans, as the panel writes its hints. */
export function withCode(text: string): JSX.Element {
  return text
    .split(/(`[^`]+`)/)
    .map((part) => (part.startsWith('`') ? <code>{part.slice(1, -1)}</code> : part));
}

/** The first address a site answers on, for a link. */
export function siteUrl(site: Site, caddy: CaddyStatus | undefined): string | undefined {
  const domain = site.domains.find((d) => !d.startsWith('*.'));
  if (!domain) return undefined;
  const https = site.tls !== 'off';
  const port = caddy ? (https ? caddy.httpsPort : caddy.httpPort) : https ? 443 : 80;
  const standard = (https && port === 443) || (!https && port === 80);
  const host = domain.includes(':') ? `[${domain}]` : domain;
  return `${https ? 'https' : 'http'}://${host}${standard ? '' : `:${port}`}/`;
}

/** Where Caddy stands: not installed (and how to install it), off, starting, refusing, running. */
export function CaddyBanner(props: { status: CaddyStatus }) {
  const { t } = useI18n();
  const s = () => props.status;
  const kind = () =>
    s().mode === 'off'
      ? 'info'
      : !s().found && s().mode === 'managed'
        ? 'missing'
        : !s().running
          ? 'warning'
          : s().lastRejection
            ? 'error'
            : s().pending
              ? 'warning'
              : 'ok';
  return (
    <section
      class={`notice banner banner-${kind()}`}
      role={kind() === 'error' || kind() === 'missing' ? 'alert' : 'status'}
      aria-label={t('sites.caddy')}
      data-testid="caddy-banner"
      data-state={kind()}
    >
      <Icon name={kind() === 'ok' ? 'circle-check' : kind() === 'info' ? 'info' : 'circle-alert'} />
      <div>
        <strong>
          {kind() === 'missing'
            ? t('sites.caddyMissing')
            : kind() === 'ok'
              ? s().version
                ? t('sites.caddyRunning', { version: s().version })
                : t('sites.caddyRunningBare')
              : t('sites.caddyTitle')}
        </strong>
        <p>{s().message}</p>
        <Show when={s().installHint}>{(hint) => <p class="install-hint">{withCode(hint())}</p>}</Show>
      </div>
    </section>
  );
}

/** `/sites` — the Caddy banner, the sites and their status, and (admins, advanced) the Caddy connection. */
export default function Sites() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const toast = useToast();
  const role = useRole();
  const navigate = useNavigate();
  const [status, { refetch: refetchStatus }] = createResource(() => api.sites.caddy.status());
  const [sites, { refetch }] = createResource(() => api.sites.list());
  const [reloading, setReloading] = createSignal(false);
  const [showConfig, setShowConfig] = createSignal(false);
  document.title = `${t('sites.title')} · Web.Casa`;

  // While changes are not live yet (Caddy starting, pending), look again every few seconds.
  createEffect(() => {
    const s = status.latest;
    const busy = s && s.mode !== 'off' && (s.pending || !s.running);
    if (!busy) return;
    const timer = setInterval(() => {
      void refetchStatus();
      void refetch();
    }, POLL_MS);
    onCleanup(() => clearInterval(timer));
  });

  const reload = async () => {
    setReloading(true);
    try {
      const result = await api.sites.caddy.reload();
      toast({
        kind: result.ok ? 'success' : 'warning',
        title: result.ok
          ? t('sites.reloaded', { n: result.sites })
          : t('sites.reloadFailed', { message: result.error ?? '' }),
      });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    } finally {
      setReloading(false);
      void refetchStatus();
      void refetch();
    }
  };

  const columns = (): Column<Site>[] => [
    {
      key: 'name',
      header: t('sites.name'),
      sortable: true,
      render: (s) => (
        <A href={`/sites/${s.id}`} data-testid={`site-link-${s.id}`}>
          {s.name}
        </A>
      ),
    },
    {
      key: 'domains',
      header: t('sites.domains'),
      value: (s) => s.domains.join(' '),
      render: (s) => (
        <For each={s.domains}>
          {(d, i) => (
            <>
              {i() > 0 ? ', ' : ''}
              <code>{d}</code>
            </>
          )}
        </For>
      ),
    },
    { key: 'kind', header: t('sites.kind'), sortable: true, render: (s) => t(`sites.kind.${s.kind}`) },
    { key: 'tls', header: t('sites.tls'), sortable: true, render: (s) => t(`sites.tls.${s.tls}`) },
    {
      key: 'status',
      header: t('sites.status'),
      sortable: true,
      render: (s) => (
        <span class={`wc-badge wc-badge-${s.status}`} data-status={s.status}>
          {t(`sites.status.${s.status}`)}
        </span>
      ),
    },
    {
      key: 'open',
      header: '',
      filterable: false,
      align: 'end',
      render: (s) => (
        <Show when={s.enabled && siteUrl(s, status.latest)}>
          {(url) => (
            <a href={url()} target="_blank" rel="noopener noreferrer" class="wc-btn wc-btn-small">
              {t('sites.visit')}
            </a>
          )}
        </Show>
      ),
    },
  ];

  const unavailable = () => status.error instanceof ApiError && (status.error as ApiError).status === 404;

  return (
    <div class="page">
      <header class="page-head">
        <h1>{t('sites.title')}</h1>
        <div class="row-actions">
          <Show when={role.atLeast('operator')}>
            <button type="button" class="wc-btn" disabled={reloading()} onClick={() => void reload()}>
              <Icon name="refresh-cw" size={16} />
              {t('sites.reload')}
            </button>
            <Show when={mode.isAdvanced()}>
              <button type="button" class="wc-btn" onClick={() => setShowConfig(true)}>
                {t('sites.generated')}
              </button>
            </Show>
            <A href="/sites/new" class="wc-btn wc-btn-primary">
              {t('sites.add')}
            </A>
          </Show>
        </div>
      </header>
      <Show
        when={!unavailable()}
        fallback={<EmptyState title={t('sites.unavailable')} body={t('sites.unavailableBody')} />}
      >
        <Show
          when={status.latest}
          fallback={
            <Show when={!status.error}>
              <Loading label={t('ui.loading')} />
            </Show>
          }
        >
          {(s) => <CaddyBanner status={s()} />}
        </Show>
        <Show when={status.error}>
          <ErrorState title={t('common.loadFailed')} error={status.error} onRetry={refetchStatus} />
        </Show>
        <Show
          when={!sites.error}
          fallback={<ErrorState title={t('common.loadFailed')} error={sites.error} onRetry={refetch} />}
        >
          <Show when={sites.latest} fallback={<Loading label={t('ui.loading')} />}>
            {(list) => (
              <DataTable
                caption={t('sites.title')}
                rows={list()}
                columns={columns()}
                rowKey={(s) => s.id}
                i18n={i18n}
                onRowActivate={(s) => navigate(`/sites/${s.id}`)}
                empty={
                  <EmptyState
                    title={t('sites.none')}
                    body={t('sites.noneBody')}
                    action={
                      role.atLeast('operator') ? (
                        <A href="/sites/new" class="wc-btn wc-btn-primary">
                          {t('sites.add')}
                        </A>
                      ) : undefined
                    }
                  />
                }
              />
            )}
          </Show>
        </Show>
        <Show when={status.latest && mode.isAdvanced()}>
          <section class="section card" aria-labelledby="caddy-facts">
            <h2 id="caddy-facts">{t('sites.caddy')}</h2>
            <Facts
              items={[
                [
                  t('sites.caddyMode'),
                  `${status.latest!.mode} (${t(`sites.source.${status.latest!.modeSource}`)})`,
                ],
                [t('sites.caddyVersion'), status.latest!.version],
                [t('sites.caddyBinary'), status.latest!.binary],
                [t('sites.caddyPid'), status.latest!.pid === null ? null : String(status.latest!.pid)],
                [t('sites.caddyAdmin'), status.latest!.admin],
                [t('sites.ports'), `${status.latest!.httpPort} / ${status.latest!.httpsPort}`],
                [t('sites.bind'), status.latest!.bind || t('sites.allInterfaces')],
                [
                  t('sites.lastApply'),
                  status.latest!.lastApply
                    ? `${i18n.formatTime(status.latest!.lastApply.at)} · ${status.latest!.lastApply.reason} · ${
                        status.latest!.lastApply.ok
                          ? t('sites.applyOk')
                          : (status.latest!.lastApply.error ?? '')
                      }`
                    : null,
                ],
              ]}
            />
            <p>
              <a href={api.sites.caddy.rootCaUrl()} download="">
                {t('sites.rootCa')}
              </a>{' '}
              <span class="wc-muted small">{t('sites.rootCaHint')}</span>
            </p>
            <Show when={role.atLeast('admin')}>
              <CaddyConnection onSaved={() => void refetchStatus()} />
            </Show>
          </section>
        </Show>
      </Show>
      <Show when={showConfig()}>
        <GeneratedConfig load={() => api.sites.caddy.config()} onClose={() => setShowConfig(false)} />
      </Show>
    </div>
  );
}

/** The generated Caddy JSON, read-only. */
export function GeneratedConfig(props: {
  load: () => Promise<unknown>;
  onClose: () => void;
  title?: string;
}) {
  const { t } = useI18n();
  const [config] = createResource(props.load);
  return (
    <Dialog title={props.title ?? t('sites.generated')} onClose={props.onClose} class="wide-dialog">
      <Show when={!config.error} fallback={<p class="wc-error">{(config.error as Error).message}</p>}>
        <Show when={config.latest !== undefined} fallback={<Loading label={t('ui.loading')} />}>
          <pre class="wc-state-detail json" data-testid="caddy-json">
            {JSON.stringify(config.latest, null, 2)}
          </pre>
        </Show>
      </Show>
      <div class="wc-dialog-footer">
        <button type="button" class="wc-btn" onClick={props.onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}

/** The stored Caddy connection settings; what the environment fixes is read-only. */
function CaddyConnection(props: { onSaved: () => void }) {
  const api = useApi();
  const { t } = useI18n();
  const toast = useToast();
  const [data, { refetch }] = createResource(() => api.sites.caddy.settings());
  const [draft, setDraft] = createSignal<Record<string, string>>({});
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  createEffect(() => {
    const d = data.latest;
    if (!d) return;
    const s = d.settings as Record<string, unknown>;
    setDraft(
      Object.fromEntries(
        ['mode', 'admin', 'httpPort', 'httpsPort', 'bind', 'binary'].map((k) => [
          k,
          s[k] === undefined ? '' : String(s[k]),
        ]),
      ),
    );
  });
  const fixed = (k: string) => data.latest?.fromEnv.includes(k) ?? false;
  const set = (k: string) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    const d = draft();
    const patch: Record<string, string | number | null> = {};
    for (const k of ['mode', 'admin', 'bind', 'binary'])
      if (!fixed(k)) patch[k] = d[k]?.trim() ? d[k]!.trim() : null;
    for (const k of ['httpPort', 'httpsPort']) if (!fixed(k)) patch[k] = d[k]?.trim() ? Number(d[k]) : null;
    try {
      await api.sites.caddy.updateSettings(patch as { [K in keyof CaddySettings]?: CaddySettings[K] | null });
      toast({ kind: 'success', title: t('sites.connectionSaved') });
      void refetch();
      props.onSaved();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const fe = error.fieldErrors();
        setErrors(Object.keys(fe).length ? fe : { _: error.message });
      } else toast({ kind: 'error', title: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const hint = (k: string) => (fixed(k) ? t('sites.fromEnv') : undefined);
  return (
    <details class="section">
      <summary>{t('sites.connection')}</summary>
      <Show when={data.latest} fallback={<Loading label={t('ui.loading')} />}>
        <form class="filters" onSubmit={save} noValidate aria-label={t('sites.connection')}>
          <SelectInput
            label={t('sites.caddyMode')}
            value={draft().mode ?? ''}
            options={[
              { value: '', label: t('sites.default') },
              { value: 'managed', label: 'managed' },
              { value: 'external', label: 'external' },
              { value: 'off', label: 'off' },
            ]}
            onChange={set('mode')}
            disabled={fixed('mode')}
            hint={hint('mode')}
            error={errors().mode}
          />
          <TextInput
            label={t('sites.caddyAdmin')}
            value={draft().admin ?? ''}
            onInput={set('admin')}
            disabled={fixed('admin')}
            hint={hint('admin')}
            error={errors().admin}
            placeholder="127.0.0.1:2019"
          />
          <TextInput
            label={t('sites.httpPort')}
            value={draft().httpPort ?? ''}
            onInput={set('httpPort')}
            disabled={fixed('httpPort')}
            hint={hint('httpPort')}
            error={errors().httpPort}
            inputMode="numeric"
            placeholder="80"
          />
          <TextInput
            label={t('sites.httpsPort')}
            value={draft().httpsPort ?? ''}
            onInput={set('httpsPort')}
            disabled={fixed('httpsPort')}
            hint={hint('httpsPort')}
            error={errors().httpsPort}
            inputMode="numeric"
            placeholder="443"
          />
          <TextInput
            label={t('sites.bind')}
            value={draft().bind ?? ''}
            onInput={set('bind')}
            disabled={fixed('bind')}
            hint={hint('bind')}
            error={errors().bind}
          />
          <TextInput
            label={t('sites.caddyBinary')}
            value={draft().binary ?? ''}
            onInput={set('binary')}
            disabled={fixed('binary')}
            hint={hint('binary')}
            error={errors().binary}
            placeholder="caddy"
          />
          <div class="filters-actions">
            <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
              {t('common.save')}
            </button>
          </div>
          <Show when={errors()._}>
            <p class="wc-error" role="alert">
              {errors()._}
            </p>
          </Show>
        </form>
      </Show>
    </details>
  );
}

import { A, useNavigate, useParams } from '@solidjs/router';
import {
  type AccessLogEntry,
  ApiError,
  type Column,
  DataTable,
  type DomainCertificate,
  EmptyState,
  ErrorState,
  type LoadBalancingPolicy,
  Loading,
  type Site,
  type SiteKind,
  type TlsMode,
  useApi,
  useConfirm,
  useI18n,
  useMode,
  useToast,
} from '@webcasa/ui';
import { createEffect, createResource, createSignal, For, Index, on, onCleanup, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { Checkbox, lines, SelectInput, TextArea, TextInput, useRole } from '../kit.js';
import { draftOf, emptyDraft, inputOf, type SiteDraft } from './draft.js';
import { GeneratedConfig } from './Sites.js';

const KINDS: SiteKind[] = ['reverse_proxy', 'static', 'redirect', 'php'];
const TLS: TlsMode[] = ['auto', 'internal', 'off', 'custom'];
const LB: LoadBalancingPolicy[] = ['round_robin', 'random', 'least_conn', 'first', 'ip_hash', 'uri_hash'];

/** `/sites/new` and `/sites/:id`: the site form (novice: the essentials; advanced: every option). */
export default function SiteEdit() {
  const params = useParams<{ id?: string }>();
  const isNew = () => !params.id || params.id === 'new';
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const toast = useToast();
  const confirm = useConfirm();
  const role = useRole();
  const navigate = useNavigate();
  const canEdit = () => role.atLeast('operator');
  const [site, { refetch, mutate }] = createResource(
    () => (isNew() ? undefined : Number(params.id)),
    (id) => api.sites.get(id),
  );
  const [draft, setDraft] = createStore<SiteDraft>(emptyDraft());
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [showConfig, setShowConfig] = createSignal(false);
  createEffect(
    on(
      () => site.latest,
      (s) => setDraft(s ? draftOf(s) : emptyDraft()),
    ),
  );
  createEffect(() => {
    document.title = `${isNew() ? t('sites.new') : (site.latest?.name ?? '')} · ${t('sites.title')} · Web.Casa`;
  });

  const set =
    <K extends keyof SiteDraft>(key: K) =>
    (value: SiteDraft[K]) => {
      setDraft(key, value as never);
      if (errors()[key as string]) setErrors(({ [key as string]: _, ...rest }) => rest);
    };
  /** Messages for a field and its items (`domains` takes `domains.0`, `domains.1`…). */
  const err = (...keys: string[]) => {
    const out = Object.entries(errors())
      .filter(([k]) => keys.some((key) => k === key || k.startsWith(`${key}.`)))
      .map(([, m]) => m);
    return out.length ? out.join(' · ') : undefined;
  };
  const KNOWN = [
    'name',
    'domains',
    'kind',
    'enabled',
    'tls',
    'certificate',
    'upstreams',
    'loadBalancing',
    'healthCheck',
    'websocket',
    'upstreamHeaders',
    'root',
    'browse',
    'spa',
    'redirectTo',
    'permanent',
    'preservePath',
    'phpFpm',
    'headers',
    'basicAuth',
    'allow',
    'deny',
    'compression',
    'accessLog',
  ];
  // Errors of fields the current view does not show are listed at the top of the form.
  const shownFields = () => {
    const base = ['name', 'domains', 'kind', 'tls'];
    const target = {
      reverse_proxy: ['upstreams'],
      static: ['root'],
      redirect: ['redirectTo'],
      php: ['root', 'phpFpm'],
    }[draft.kind];
    return mode.isAdvanced() ? KNOWN : [...base, ...target];
  };
  const otherErrors = () =>
    Object.entries(errors()).filter(([k]) => !shownFields().some((f) => k === f || k.startsWith(`${f}.`)));

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setBusy(true);
    try {
      const input = inputOf(draft, site.latest);
      if (isNew()) {
        const created = await api.sites.create(input);
        toast({ kind: 'success', title: t('sites.created', { name: created.name }) });
        navigate(`/sites/${created.id}`, { replace: true });
      } else {
        const updated = await api.sites.update(Number(params.id), input);
        mutate(updated);
        toast({ kind: 'success', title: t('sites.saved', { name: updated.name }) });
      }
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        const fe = error.fieldErrors();
        setErrors(fe);
        if (!Object.keys(fe).length || fe._) setFormError(fe._ ?? error.message);
        queueMicrotask(() =>
          document.querySelector<HTMLElement>('.site-form [aria-invalid="true"]')?.focus(),
        );
      } else if (error instanceof ApiError && error.status === 422) {
        setFormError(t('sites.rejected', { message: error.message }));
      } else setFormError((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const s = site.latest;
    if (!s) return;
    const ok = await confirm({
      title: t('sites.confirmDelete', { name: s.name }),
      body: t('sites.confirmDeleteBody'),
      confirmLabel: t('sites.delete'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.sites.remove(s.id);
      toast({ kind: 'success', title: t('sites.deleted', { name: s.name }) });
      navigate('/sites', { replace: true });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  };

  const kindOptions = () => KINDS.map((k) => ({ value: k, label: t(`sites.kind.${k}`) }));
  const tlsOptions = () =>
    TLS.filter((x) => x !== 'custom' || mode.isAdvanced() || draft.tls === 'custom').map((x) => ({
      value: x,
      label: t(`sites.tls.${x}`),
    }));
  const multiUpstream = () => lines(draft.upstreams).length > 1 || mode.isAdvanced();

  const readFile = (key: 'certPem' | 'keyPem') => async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (file) set(key)(await file.text());
  };

  return (
    <div class="page site-edit">
      <nav class="crumbs" aria-label={t('plugin.crumbs')}>
        <A href="/sites">{t('sites.title')}</A>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{isNew() ? t('sites.new') : (site.latest?.name ?? params.id)}</span>
      </nav>
      <Show
        when={isNew() || !site.error}
        fallback={
          site.error instanceof ApiError && (site.error as ApiError).status === 404 ? (
            <EmptyState title={t('sites.notFound', { id: params.id ?? '' })} />
          ) : (
            <ErrorState title={t('common.loadFailed')} error={site.error} onRetry={refetch} />
          )
        }
      >
        <Show when={isNew() || site.latest} fallback={<Loading label={t('ui.loading')} />}>
          <header class="page-head">
            <h1>{isNew() ? t('sites.new') : site.latest?.name}</h1>
            <div class="row-actions">
              <Show when={site.latest}>
                {(s) => (
                  <span class={`wc-badge wc-badge-${s().status}`} data-testid="site-status">
                    {t(`sites.status.${s().status}`)}
                  </span>
                )}
              </Show>
              <Show when={!isNew() && mode.isAdvanced() && canEdit()}>
                <button type="button" class="wc-btn" onClick={() => setShowConfig(true)}>
                  {t('sites.siteJson')}
                </button>
              </Show>
              <Show when={!isNew() && canEdit()}>
                <button type="button" class="wc-btn wc-btn-danger" onClick={() => void remove()}>
                  {t('sites.delete')}
                </button>
              </Show>
            </div>
          </header>
          <Show when={!canEdit()}>
            <p class="notice">{t('sites.readOnly')}</p>
          </Show>
          <form class="site-form card" onSubmit={save} noValidate aria-label={t('sites.form')}>
            <fieldset disabled={!canEdit()} class="plain">
              <Show when={formError() || otherErrors().length > 0}>
                <div class="notice notice-error" role="alert" data-testid="site-form-error">
                  <Show when={formError()}>
                    <p>{formError()}</p>
                  </Show>
                  <ul>
                    <For each={otherErrors()}>
                      {([k, m]) => (
                        <li>
                          <code>{k}</code>: {m}
                        </li>
                      )}
                    </For>
                  </ul>
                </div>
              </Show>
              <TextArea
                label={t('sites.domains')}
                field="domains"
                value={draft.domains}
                onInput={set('domains')}
                rows={2}
                hint={t('sites.domainsHint')}
                error={err('domains')}
                placeholder="app.example.com"
              />
              <SelectInput
                label={t('sites.kind')}
                field="kind"
                value={draft.kind}
                options={kindOptions()}
                onChange={set('kind')}
                error={err('kind')}
              />
              <Show when={draft.kind === 'reverse_proxy'}>
                <Show
                  when={multiUpstream()}
                  fallback={
                    <TextInput
                      label={t('sites.upstream')}
                      field="upstreams"
                      value={draft.upstreams}
                      onInput={set('upstreams')}
                      hint={t('sites.upstreamHint')}
                      error={err('upstreams')}
                      placeholder="127.0.0.1:3000"
                    />
                  }
                >
                  <TextArea
                    label={t('sites.upstreams')}
                    field="upstreams"
                    value={draft.upstreams}
                    onInput={set('upstreams')}
                    rows={3}
                    hint={t('sites.upstreamsHint')}
                    error={err('upstreams')}
                    placeholder="127.0.0.1:3000"
                  />
                </Show>
              </Show>
              <Show when={draft.kind === 'static' || draft.kind === 'php'}>
                <TextInput
                  label={t('sites.root')}
                  field="root"
                  value={draft.root}
                  onInput={set('root')}
                  hint={t('sites.rootHint')}
                  error={err('root')}
                  placeholder="/var/www/site"
                />
              </Show>
              <Show when={draft.kind === 'php'}>
                <TextInput
                  label={t('sites.phpFpm')}
                  field="phpFpm"
                  value={draft.phpFpm}
                  onInput={set('phpFpm')}
                  hint={t('sites.phpFpmHint')}
                  error={err('phpFpm')}
                  placeholder="/run/php/php8.2-fpm.sock"
                />
              </Show>
              <Show when={draft.kind === 'redirect'}>
                <TextInput
                  label={t('sites.redirectTo')}
                  field="redirectTo"
                  type="url"
                  value={draft.redirectTo}
                  onInput={set('redirectTo')}
                  error={err('redirectTo')}
                  placeholder="https://example.com/"
                />
              </Show>
              <SelectInput
                label={t('sites.tls')}
                field="tls"
                value={draft.tls}
                options={tlsOptions()}
                onChange={set('tls')}
                hint={t(`sites.tlsHint.${draft.tls}`)}
                error={err('tls')}
              />
              <Show when={!mode.isAdvanced()}>
                <p class="wc-hint">{t('sites.moreInAdvanced')}</p>
              </Show>
              <Show when={mode.isAdvanced()}>
                <TextInput
                  label={t('sites.name')}
                  field="name"
                  value={draft.name}
                  onInput={set('name')}
                  hint={t('sites.nameHint')}
                  error={err('name')}
                />
                <Checkbox
                  label={t('sites.enabled')}
                  checked={draft.enabled}
                  onChange={set('enabled')}
                  field="enabled"
                />
                <Show when={draft.tls === 'custom'}>
                  <fieldset class="group" data-field="certificate">
                    <legend>{t('sites.certificate')}</legend>
                    <Show when={site.latest?.certificate}>
                      {(c) => (
                        <p class="wc-hint">
                          {t('sites.certStored', { subject: c().subject, until: c().notAfter })}
                        </p>
                      )}
                    </Show>
                    <TextArea
                      label={t('sites.certPem')}
                      value={draft.certPem}
                      onInput={set('certPem')}
                      rows={4}
                      mono
                      error={err('certificate.certPem')}
                      placeholder="-----BEGIN CERTIFICATE-----"
                    />
                    <input
                      type="file"
                      aria-label={t('sites.certFile')}
                      accept=".pem,.crt"
                      onChange={readFile('certPem')}
                    />
                    <TextArea
                      label={t('sites.keyPem')}
                      value={draft.keyPem}
                      onInput={set('keyPem')}
                      rows={4}
                      mono
                      error={err('certificate.keyPem')}
                      placeholder="-----BEGIN PRIVATE KEY-----"
                    />
                    <input
                      type="file"
                      aria-label={t('sites.keyFile')}
                      accept=".pem,.key"
                      onChange={readFile('keyPem')}
                    />
                    <Show
                      when={err('certificate') && !err('certificate.certPem') && !err('certificate.keyPem')}
                    >
                      <p class="wc-error">{err('certificate')}</p>
                    </Show>
                  </fieldset>
                </Show>
                <Show when={draft.kind === 'reverse_proxy'}>
                  <fieldset class="group">
                    <legend>{t('sites.proxy')}</legend>
                    <SelectInput
                      label={t('sites.loadBalancing')}
                      field="loadBalancing"
                      value={draft.loadBalancing}
                      options={LB.map((x) => ({ value: x, label: x }))}
                      onChange={set('loadBalancing')}
                      error={err('loadBalancing')}
                    />
                    <Checkbox
                      label={t('sites.websocket')}
                      checked={draft.websocket}
                      onChange={set('websocket')}
                      hint={t('sites.websocketHint')}
                      field="websocket"
                    />
                    <Checkbox
                      label={t('sites.healthCheck')}
                      checked={draft.health}
                      onChange={set('health')}
                      field="healthCheck"
                    />
                    <Show when={draft.health}>
                      <div class="filters">
                        <TextInput
                          label={t('sites.healthPath')}
                          value={draft.healthPath}
                          onInput={set('healthPath')}
                          error={err('healthCheck.path')}
                        />
                        <TextInput
                          label={t('sites.healthInterval')}
                          value={draft.healthInterval}
                          onInput={set('healthInterval')}
                          inputMode="numeric"
                          error={err('healthCheck.intervalSeconds')}
                        />
                        <TextInput
                          label={t('sites.healthTimeout')}
                          value={draft.healthTimeout}
                          onInput={set('healthTimeout')}
                          inputMode="numeric"
                          error={err('healthCheck.timeoutSeconds')}
                        />
                        <TextInput
                          label={t('sites.healthExpect')}
                          value={draft.healthExpect}
                          onInput={set('healthExpect')}
                          inputMode="numeric"
                          error={err('healthCheck.expectStatus')}
                        />
                      </div>
                    </Show>
                    <TextArea
                      label={t('sites.upstreamHeaders')}
                      field="upstreamHeaders"
                      value={draft.upstreamHeaders}
                      onInput={set('upstreamHeaders')}
                      rows={2}
                      mono
                      hint={t('sites.headersHint')}
                      error={err('upstreamHeaders')}
                    />
                  </fieldset>
                </Show>
                <Show when={draft.kind === 'static'}>
                  <fieldset class="group">
                    <legend>{t('sites.files')}</legend>
                    <Checkbox
                      label={t('sites.spa')}
                      checked={draft.spa}
                      onChange={set('spa')}
                      hint={t('sites.spaHint')}
                      field="spa"
                    />
                    <Checkbox
                      label={t('sites.browse')}
                      checked={draft.browse}
                      onChange={set('browse')}
                      field="browse"
                    />
                  </fieldset>
                </Show>
                <Show when={draft.kind === 'redirect'}>
                  <fieldset class="group">
                    <legend>{t('sites.redirect')}</legend>
                    <Checkbox
                      label={t('sites.permanent')}
                      checked={draft.permanent}
                      onChange={set('permanent')}
                      field="permanent"
                    />
                    <Checkbox
                      label={t('sites.preservePath')}
                      checked={draft.preservePath}
                      onChange={set('preservePath')}
                      field="preservePath"
                    />
                  </fieldset>
                </Show>
                <fieldset class="group">
                  <legend>{t('sites.access')}</legend>
                  <div class="basic-auth" data-field="basicAuth">
                    <p class="group-label">{t('sites.basicAuth')}</p>
                    <Index each={draft.basicAuth}>
                      {(u, i) => (
                        <div class="inline-form">
                          <TextInput
                            label={t('sites.authUser')}
                            value={u().username}
                            onInput={(v) => setDraft('basicAuth', i, 'username', v)}
                            error={err(`basicAuth.${i}.username`)}
                          />
                          <TextInput
                            label={t('sites.authPassword')}
                            type="password"
                            value={u().password}
                            onInput={(v) => setDraft('basicAuth', i, 'password', v)}
                            placeholder={u().stored ? t('sites.passwordKept') : ''}
                            error={err(`basicAuth.${i}.password`)}
                          />
                          <button
                            type="button"
                            class="wc-btn wc-btn-small"
                            aria-label={t('sites.removeUser', { name: u().username || String(i + 1) })}
                            onClick={() => setDraft('basicAuth', (list) => list.filter((_, j) => j !== i))}
                          >
                            {t('sites.remove')}
                          </button>
                        </div>
                      )}
                    </Index>
                    <button
                      type="button"
                      class="wc-btn wc-btn-small"
                      onClick={() =>
                        setDraft('basicAuth', (list) => [
                          ...list,
                          { username: '', password: '', stored: false },
                        ])
                      }
                    >
                      {t('sites.addUser')}
                    </button>
                    <Show
                      when={
                        err('basicAuth') && !Object.keys(errors()).some((k) => /^basicAuth\.\d+\./.test(k))
                      }
                    >
                      <p class="wc-error">{err('basicAuth')}</p>
                    </Show>
                  </div>
                  <TextArea
                    label={t('sites.allow')}
                    field="allow"
                    value={draft.allow}
                    onInput={set('allow')}
                    rows={2}
                    mono
                    hint={t('sites.ipHint')}
                    error={err('allow')}
                  />
                  <TextArea
                    label={t('sites.deny')}
                    field="deny"
                    value={draft.deny}
                    onInput={set('deny')}
                    rows={2}
                    mono
                    hint={t('sites.ipHint')}
                    error={err('deny')}
                  />
                </fieldset>
                <fieldset class="group">
                  <legend>{t('sites.responses')}</legend>
                  <TextArea
                    label={t('sites.headers')}
                    field="headers"
                    value={draft.headers}
                    onInput={set('headers')}
                    rows={2}
                    mono
                    hint={t('sites.headersHint')}
                    error={err('headers')}
                  />
                  <Checkbox
                    label={t('sites.compression')}
                    checked={draft.compression}
                    onChange={set('compression')}
                    field="compression"
                  />
                  <Checkbox
                    label={t('sites.accessLog')}
                    checked={draft.accessLog}
                    onChange={set('accessLog')}
                    hint={t('sites.accessLogHint')}
                    field="accessLog"
                  />
                </fieldset>
              </Show>
              <Show when={canEdit()}>
                <div class="wc-form-actions">
                  <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
                    {busy() ? t('ui.saving') : isNew() ? t('sites.create') : t('common.save')}
                  </button>
                  <A href="/sites" class="wc-btn">
                    {t('common.cancel')}
                  </A>
                </div>
              </Show>
            </fieldset>
          </form>
          <Show when={site.latest}>
            {(s) => (
              <>
                <Certificates siteId={s().id} revision={s().revision} />
                <AccessLog site={s()} />
              </>
            )}
          </Show>
        </Show>
      </Show>
      <Show when={showConfig() && site.latest}>
        <GeneratedConfig
          title={t('sites.siteJson')}
          load={() => api.sites.config(site.latest!.id)}
          onClose={() => setShowConfig(false)}
        />
      </Show>
    </div>
  );
}

function Certificates(props: { siteId: number; revision: number }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [certs] = createResource(
    () => [props.siteId, props.revision] as const,
    ([id]) => api.sites.certificates(id),
  );
  const columns = (): Column<DomainCertificate>[] => [
    { key: 'domain', header: t('sites.domain'), render: (c) => <code>{c.domain}</code> },
    { key: 'source', header: t('sites.certSource'), render: (c) => t(`sites.certSource.${c.source}`) },
    {
      key: 'present',
      header: t('sites.certPresent'),
      render: (c) => (c.source === 'none' ? '—' : c.present ? t('common.yes') : t('sites.certWaiting')),
    },
    { key: 'issuer', header: t('sites.certIssuer'), value: (c) => c.issuer ?? c.note ?? '—' },
    {
      key: 'notAfter',
      header: t('sites.certExpires'),
      render: (c) =>
        c.notAfter
          ? `${i18n.formatTime(Date.parse(c.notAfter))} (${t('sites.daysLeft', { n: c.daysLeft ?? 0 })})`
          : '—',
    },
  ];
  return (
    <section class="section" aria-labelledby="site-certs">
      <h2 id="site-certs">{t('sites.certificates')}</h2>
      <Show
        when={certs.latest}
        fallback={
          <Show when={!certs.error} fallback={<p class="wc-muted">{(certs.error as Error).message}</p>}>
            <Loading label={t('ui.loading')} />
          </Show>
        }
      >
        {(list) => (
          <DataTable
            caption={t('sites.certificates')}
            rows={list()}
            columns={columns()}
            rowKey={(c) => c.domain}
            i18n={i18n}
            filter={false}
            pageSize={0}
          />
        )}
      </Show>
    </section>
  );
}

/** The site's access log: the last requests, then live over `/ws/sites/:id/access-log` (polling if the socket is refused). */
function AccessLog(props: { site: Site }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [entries, setEntries] = createSignal<AccessLogEntry[]>([]);
  const [live, setLive] = createSignal<'socket' | 'polling' | 'off'>('off');
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(timer);
    const s = socket;
    socket = undefined;
    s?.close();
  };
  onCleanup(stop);

  const load = async () => {
    try {
      const answer = await api.sites.accessLog(props.site.id, 100);
      setEntries(answer.entries);
    } catch {
      // shown as empty; the next poll tries again
    }
  };
  const poll = () => {
    setLive('polling');
    clearInterval(timer);
    timer = setInterval(() => void load(), 3000);
  };
  createEffect(
    on(
      () => [props.site.id, props.site.accessLog] as const,
      ([id, enabled]) => {
        stop();
        setEntries([]);
        if (!enabled) {
          setLive('off');
          return;
        }
        void load();
        let opened = false;
        const s = new WebSocket(api.sites.accessLogSocketUrl(id));
        socket = s;
        s.onopen = () => {
          opened = true;
          setLive('socket');
        };
        s.onmessage = (m) => {
          try {
            const { entries: more } = JSON.parse(String(m.data)) as { entries: AccessLogEntry[] };
            setEntries((list) => [...list, ...more].slice(-500));
          } catch {
            // not for us
          }
        };
        s.onclose = () => {
          // No live route on this panel (or it dropped): fall back to asking every few seconds.
          if (socket === s && (!opened || props.site.accessLog)) poll();
        };
      },
    ),
  );

  const columns = (): Column<AccessLogEntry>[] => [
    { key: 'time', header: t('audit.time'), render: (e) => i18n.formatTime(Date.parse(e.time)) },
    { key: 'method', header: t('audit.method') },
    { key: 'uri', header: t('sites.uri'), render: (e) => <code>{e.uri}</code> },
    { key: 'status', header: t('audit.status') },
    {
      key: 'durationMs',
      header: t('runs.duration'),
      value: (e) => (e.durationMs === null ? '—' : `${e.durationMs} ms`),
    },
    { key: 'remoteIp', header: t('audit.ip') },
  ];
  return (
    <section class="section" aria-labelledby="site-access">
      <h2 id="site-access">{t('sites.accessLogTitle')}</h2>
      <Show when={props.site.accessLog} fallback={<p class="wc-muted">{t('sites.accessLogOff')}</p>}>
        <p class="wc-muted small" aria-live="polite" data-testid="access-live">
          {t(`sites.live.${live()}`)}
        </p>
        <DataTable
          caption={t('sites.accessLogTitle')}
          rows={[...entries()].reverse()}
          columns={columns()}
          rowKey={(e) => `${e.time}|${e.uri}|${e.remoteIp}|${e.status}|${e.durationMs}`}
          i18n={i18n}
          pageSize={20}
          empty={<p class="wc-muted wc-pad">{t('sites.accessLogEmpty')}</p>}
        />
      </Show>
    </section>
  );
}

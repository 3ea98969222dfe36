import {
  EmptyState,
  ErrorState,
  Loading,
  LogViewer,
  RunProgress,
  useApi,
  useConfirm,
  useToast,
} from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { backupUrl, formatBytes, type InstalledApp, logoUrl, storeApi } from '../lib.js';
import SettingsDialog from './SettingsDialog.js';

/** Installed apps with their actions (start, stop, restart, settings, update, uninstall), details with backups, and logs. */
export default function Installed() {
  const api = storeApi();
  const core = useApi();
  const toast = useToast();
  const confirm = useConfirm();
  const [apps, { refetch }] = createResource(() =>
    api.get<{ items: InstalledApp[] }>('/installed').then((r) => r.items),
  );
  const [runId, setRunId] = createSignal<string | null>(null);
  const [logs, setLogs] = createSignal<{ id: string; text: string } | null>(null);
  const [settingsOf, setSettingsOf] = createSignal<InstalledApp | null>(null);
  const [detailsOf, setDetailsOf] = createSignal<string | null>(null);
  // The details follow the list: a refetch (after a run) shows new backups.
  const details = () => apps.latest?.find((a) => a.id === detailsOf()) ?? null;

  async function act(app: InstalledApp, action: 'start' | 'stop' | 'restart') {
    try {
      await api.post(`/installed/${app.id}/${action}`);
      toast({ kind: 'success', title: `${app.name}: ${action} done` });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
    await refetch();
  }

  async function update(app: InstalledApp) {
    if (
      !(await confirm({
        title: `Update ${app.name} to ${app.update?.version}?`,
        body: 'The app is stopped and its data folder backed up first.',
      }))
    )
      return;
    try {
      setRunId((await api.post<{ runId: string }>(`/installed/${app.id}/update`, {})).runId);
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  }

  async function uninstall(app: InstalledApp) {
    if (
      !(await confirm({
        title: `Uninstall ${app.name}?`,
        body: 'Its containers and its site are removed. The data folder is kept.',
        danger: true,
      }))
    )
      return;
    const deleteData = await confirm({
      title: `Also delete ${app.name}'s data and backups?`,
      body: 'This cannot be undone.',
      danger: true,
      confirmLabel: 'Delete data',
    });
    try {
      setRunId((await api.delete<{ runId: string }>(`/installed/${app.id}?deleteData=${deleteData}`)).runId);
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  }

  async function showLogs(app: InstalledApp) {
    try {
      const { text } = await api.get<{ text: string }>(`/installed/${app.id}/logs`, { tail: 300 });
      setLogs({ id: app.id, text });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  }

  return (
    <div class="page">
      <header style={{ display: 'flex', gap: '1rem', 'align-items': 'center' }}>
        <h1>Installed apps</h1>
        <a class="wc-btn" href="/p/app-store">
          App Store
        </a>
      </header>
      <Show when={runId()}>
        {(id) => (
          <div class="card" style={{ padding: '1rem', margin: '1rem 0' }}>
            <RunProgress api={core} runId={id()} onEnd={() => void refetch()} />
            <button type="button" class="wc-btn" onClick={() => setRunId(null)}>
              Close
            </button>
          </div>
        )}
      </Show>
      <Show when={!apps.error} fallback={<ErrorState title="Could not load" error={apps.error} />}>
        <Show when={apps.latest} fallback={<Loading />}>
          <Show
            when={apps.latest?.length}
            fallback={<EmptyState title="No apps installed" body="Install one from the App Store." />}
          >
            <table class="wc-table" aria-label="Installed apps">
              <thead>
                <tr>
                  <th>App</th>
                  <th>Version</th>
                  <th>State</th>
                  <th>Address</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                <For each={apps.latest}>
                  {(app) => (
                    <tr>
                      <td>
                        <img src={logoUrl(app.source, app.id)} alt="" width="24" height="24" /> {app.name}
                      </td>
                      <td>
                        {app.version}
                        <Show when={app.update}>
                          {' '}
                          <span class="wc-badge">update: {app.update?.version}</span>
                        </Show>
                      </td>
                      <td>
                        {app.status}
                        {app.state ? ` (${app.state})` : ''}
                        <Show when={app.lastError}>
                          <br />
                          <small style={{ color: 'var(--wc-danger, #c0392b)' }}>{app.lastError}</small>
                        </Show>
                      </td>
                      <td>{app.domain ? <a href={app.url}>{app.url}</a> : `port ${app.port}`}</td>
                      <td style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}>
                        <button type="button" class="wc-btn" onClick={() => act(app, 'start')}>
                          Start
                        </button>
                        <button type="button" class="wc-btn" onClick={() => act(app, 'stop')}>
                          Stop
                        </button>
                        <button type="button" class="wc-btn" onClick={() => act(app, 'restart')}>
                          Restart
                        </button>
                        <button type="button" class="wc-btn" onClick={() => setSettingsOf(app)}>
                          Settings
                        </button>
                        <button
                          type="button"
                          class="wc-btn"
                          aria-expanded={detailsOf() === app.id ? 'true' : 'false'}
                          onClick={() => setDetailsOf(detailsOf() === app.id ? null : app.id)}
                        >
                          Details
                        </button>
                        <Show when={app.update}>
                          <button type="button" class="wc-btn wc-btn-primary" onClick={() => update(app)}>
                            Update
                          </button>
                        </Show>
                        <button type="button" class="wc-btn" onClick={() => showLogs(app)}>
                          Logs
                        </button>
                        <button type="button" class="wc-btn" onClick={() => uninstall(app)}>
                          Uninstall
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </Show>
        </Show>
      </Show>
      <Show when={details()}>
        {(d) => (
          <section
            class="card"
            style={{ padding: '1rem', 'margin-top': '1rem' }}
            aria-label={`Details of ${d().name}`}
          >
            <h2>{d().name}</h2>
            <dl style={{ display: 'grid', 'grid-template-columns': 'max-content 1fr', gap: '0.25rem 1rem' }}>
              <dt>Version</dt>
              <dd>
                {d().version} (tipi {d().tipiVersion})
              </dd>
              <dt>Address</dt>
              <dd>{d().url}</dd>
              <dt>Port</dt>
              <dd>
                {d().port} ({d().publish === 'loopback' ? '127.0.0.1 only' : 'every interface'})
              </dd>
              <Show when={d().domain}>
                <dt>Certificate</dt>
                <dd>{d().tls}</dd>
              </Show>
              <dt>Installed</dt>
              <dd>{new Date(d().installedAt).toLocaleString()}</dd>
              <dt>Changed</dt>
              <dd>{new Date(d().updatedAt).toLocaleString()}</dd>
            </dl>
            <h3>Backups</h3>
            <Show when={d().backups.length} fallback={<p>No backups yet: one is made before each update.</p>}>
              <table class="wc-table" aria-label={`Backups of ${d().name}`}>
                <thead>
                  <tr>
                    <th>Backup</th>
                    <th>Time</th>
                    <th>Size</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  <For each={[...d().backups].reverse()}>
                    {(b) => (
                      <tr>
                        <td>
                          <code>{b.name}</code>
                        </td>
                        <td>{new Date(b.at).toLocaleString()}</td>
                        <td>{formatBytes(b.size)}</td>
                        <td>
                          <a class="wc-btn" href={backupUrl(d().id, b.name)} download={b.name}>
                            Download
                          </a>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Show>
          </section>
        )}
      </Show>
      <Show when={settingsOf()}>
        {(app) => (
          <SettingsDialog app={app()} onClose={() => setSettingsOf(null)} onDone={() => void refetch()} />
        )}
      </Show>
      <Show when={logs()}>
        {(l) => (
          <section
            class="card"
            style={{ padding: '1rem', 'margin-top': '1rem' }}
            aria-label={`Logs of ${l().id}`}
          >
            <h2>Logs of {l().id}</h2>
            <LogViewer
              label={`Logs of ${l().id}`}
              lines={l()
                .text.split('\n')
                .map((line) => ({ line }))}
            />
          </section>
        )}
      </Show>
    </div>
  );
}

import { ErrorState, Loading, useConfirm, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { type SourceView, storeApi } from '../lib.js';

const OFFICIAL = 'https://github.com/runtipi/runtipi-appstore.git';

/** App store sources: git URLs and local folders, synced now or daily, with their last status. */
export default function Sources() {
  const api = storeApi();
  const toast = useToast();
  const confirm = useConfirm();
  const [list, { refetch }] = createResource(() =>
    api.get<{ items: SourceView[]; syncIntervalHours: number | null; nextSyncAt: number | null }>('/sources'),
  );
  const [kind, setKind] = createSignal<'git' | 'local'>('git');
  const [location, setLocation] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal<number | 'add' | null>(null);

  async function add(e: Event) {
    e.preventDefault();
    setError(null);
    setBusy('add');
    try {
      const view = await api.post<SourceView>('/sources', { kind: kind(), location: location() });
      setLocation('');
      toast({
        kind: view.lastSyncOk ? 'success' : 'warning',
        title: view.lastSyncOk ? `${view.apps} apps` : `Sync failed: ${view.lastError}`,
      });
      await refetch();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }

  async function sync(s: SourceView) {
    setBusy(s.id);
    try {
      const view = await api.post<SourceView>(`/sources/${s.id}/sync`);
      toast({
        kind: view.lastSyncOk ? 'success' : 'error',
        title: view.lastSyncOk ? `${view.name}: ${view.apps} apps` : `${view.name}: ${view.lastError}`,
      });
    } finally {
      setBusy(null);
      await refetch();
    }
  }

  async function remove(s: SourceView) {
    if (!(await confirm({ title: `Remove the store ${s.name}?`, danger: true }))) return;
    try {
      await api.delete(`/sources/${s.id}`);
    } catch (err) {
      toast({ kind: 'error', title: (err as Error).message });
    }
    await refetch();
  }

  return (
    <div class="page">
      <h1>App stores</h1>
      <Show when={list.latest?.nextSyncAt}>
        {(at) => (
          <p data-testid="next-sync">
            Git stores are synced every {list.latest?.syncIntervalHours} h; next automatic sync{' '}
            {new Date(at()).toLocaleString()}.
          </p>
        )}
      </Show>
      <p style={{ color: 'var(--wc-muted)' }}>
        Stores in the Runtipi format: a git repository (cloned here and fetched regularly) or a folder on this
        server.
      </p>
      <form
        onSubmit={add}
        class="card"
        style={{ padding: '1rem', display: 'flex', gap: '0.5rem', 'flex-wrap': 'wrap', 'align-items': 'end' }}
      >
        <div class="wc-field">
          <label for="source-kind">Kind</label>
          <select
            id="source-kind"
            class="wc-input"
            value={kind()}
            onChange={(e) => setKind(e.currentTarget.value as 'git' | 'local')}
          >
            <option value="git">Git repository</option>
            <option value="local">Local folder</option>
          </select>
        </div>
        <div class="wc-field" style={{ flex: 1 }}>
          <label for="source-location">{kind() === 'git' ? 'Git URL' : 'Folder path'}</label>
          <input
            id="source-location"
            class="wc-input"
            value={location()}
            placeholder={kind() === 'git' ? OFFICIAL : '/srv/my-appstore'}
            onInput={(e) => setLocation(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy() === 'add' || !location().trim()}>
          Add and sync
        </button>
        <Show when={kind() === 'git' && !location()}>
          <button type="button" class="wc-btn" onClick={() => setLocation(OFFICIAL)}>
            Use the official Runtipi store
          </button>
        </Show>
        <Show when={error()}>
          <p role="alert" style={{ color: 'var(--wc-danger, #c0392b)', width: '100%' }}>
            {error()}
          </p>
        </Show>
      </form>
      <Show when={!list.error} fallback={<ErrorState title="Could not load" error={list.error} />}>
        <Show when={list.latest} fallback={<Loading />}>
          <For each={list.latest?.items}>
            {(s) => (
              <section class="card" style={{ padding: '1rem', 'margin-top': '1rem' }} aria-label={s.name}>
                <h2>{s.name}</h2>
                <p>
                  <code>{s.location}</code> · {s.kind} · {s.apps} apps
                </p>
                <p>
                  Last sync: {s.lastSyncAt ? new Date(s.lastSyncAt).toLocaleString() : 'never'}{' '}
                  <Show when={s.lastSyncOk === false}>
                    <span style={{ color: 'var(--wc-danger, #c0392b)' }}>failed: {s.lastError}</span>
                  </Show>
                  <Show when={s.lastCommit}> · commit {s.lastCommit?.slice(0, 10)}</Show>
                </p>
                <Show when={s.problems.length}>
                  <details>
                    <summary>{s.problems.length} apps could not be read</summary>
                    <ul>
                      <For each={s.problems}>
                        {(p) => (
                          <li>
                            <strong>{p.app}</strong> {p.file} <code>{p.field}</code>: {p.message}
                          </li>
                        )}
                      </For>
                    </ul>
                  </details>
                </Show>
                <button type="button" class="wc-btn" disabled={busy() === s.id} onClick={() => sync(s)}>
                  Sync now
                </button>{' '}
                <button type="button" class="wc-btn" onClick={() => remove(s)}>
                  Remove
                </button>
              </section>
            )}
          </For>
        </Show>
      </Show>
    </div>
  );
}

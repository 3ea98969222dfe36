import { A, useSearchParams } from '@solidjs/router';
import { EmptyState, ErrorState, Loading, useApi, useConfirm, useShell, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { useFilesI18n } from '../i18n.js';
import NameDialog from '../NameDialog.js';
import PermissionsDialog from '../PermissionsDialog.js';
import SearchPanel, { editorHref, folderHref } from '../SearchPanel.js';
import { type Entry, errorText, formatSize, join, parent, type TrashItem } from '../shared.js';
import { uploadFile } from '../upload.js';

interface Listing {
  path: string;
  total: number;
  items: Entry[];
}

export default function Browser() {
  const { t, formatTime } = useFilesI18n();
  const api = useApi().plugin('files');
  const toast = useToast();
  const confirm = useConfirm();
  const shell = useShell();
  const isAdmin = () => shell.me()?.user.role === 'admin';
  const [params, setParams] = useSearchParams<{ path?: string; root?: string }>();
  const path = () => params.path ?? '';
  const root = () => {
    const n = Number(params.root ?? 0);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  };
  const [sort, setSort] = createSignal<'name' | 'size' | 'mtime'>('name');
  const [roots] = createResource(() =>
    api.get<{ items: { index: number; path: string }[] }>('/roots').then((r) => r.items),
  );
  const [listing, { refetch }] = createResource(
    () => ({ root: root(), path: path(), sort: sort() }),
    (q) => api.get<Listing>('/list', { root: q.root, path: q.path, sort: q.sort, limit: 1000 }),
  );
  const [trash, trashActions] = createResource(() => api.get<{ items: TrashItem[] }>('/trash'));
  const [uploads, setUploads] = createSignal<{ name: string; progress: number; error?: string }[]>([]);
  const [dragging, setDragging] = createSignal(false);
  const [permsOf, setPermsOf] = createSignal<Entry | null>(null);
  const [searching, setSearching] = createSignal(false);
  const [asking, setAsking] = createSignal<Omit<Parameters<typeof NameDialog>[0], 'onClose'> | null>(null);

  const crumbs = () => {
    const parts = path() ? path().split('/') : [];
    return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join('/') }));
  };
  const go = (p: string) => setParams({ path: p || undefined });
  const switchRoot = (index: number) =>
    setParams({ root: index === 0 ? undefined : String(index), path: undefined });

  async function run(work: () => Promise<unknown>, done: string) {
    try {
      await work();
      toast({ kind: 'success', title: done });
    } catch (error) {
      toast({ kind: 'error', title: errorText(error) });
    }
    refetch();
    trashActions.refetch();
  }

  /** After a dialog's action succeeded: say so and show the new state. */
  function done(message: string) {
    toast({ kind: 'success', title: message });
    refetch();
  }

  async function upload(files: FileList | File[]) {
    const list = [...files];
    const r = root();
    const dir = path();
    setUploads(list.map((f) => ({ name: f.name, progress: 0 })));
    for (const [i, file] of list.entries()) {
      const update = (patch: { progress?: number; error?: string }) =>
        setUploads((all) => all.map((u, j) => (j === i ? { ...u, ...patch } : u)));
      try {
        await uploadFile(api, r, join(dir, file.name), file, (progress) => update({ progress }));
      } catch (error) {
        update({ error: errorText(error) });
      }
    }
    refetch();
  }

  const rename = (e: Entry) =>
    setAsking({
      title: t('files.rename'),
      label: t('files.prompt.rename'),
      initial: join(path(), e.name),
      submitLabel: t('files.rename'),
      onSubmit: async (to) => {
        if (to === join(path(), e.name)) return;
        await api.post('/rename', { root: root(), from: join(path(), e.name), to });
        done(t('files.done.renamed'));
      },
    });
  const remove = async (e: Entry) => {
    if (
      !(await confirm({
        title: t('files.confirmDelete', { name: e.name }),
        danger: true,
        confirmLabel: t('files.delete'),
      }))
    )
      return;
    run(
      () => api.delete(`/delete?root=${root()}&path=${encodeURIComponent(join(path(), e.name))}`),
      t('files.done.trashed'),
    );
  };
  const newFolder = () =>
    setAsking({
      title: t('files.newFolder'),
      label: t('files.prompt.folder'),
      submitLabel: t('files.create'),
      onSubmit: async (name) => {
        await api.post('/mkdir', { root: root(), path: join(path(), name) });
        done(t('files.done.folder'));
      },
    });
  const newFile = () =>
    setAsking({
      title: t('files.newFile'),
      label: t('files.prompt.file'),
      submitLabel: t('files.create'),
      onSubmit: async (name) => {
        await api.post('/write', { root: root(), path: join(path(), name), content: '', etag: null });
        done(t('files.done.file'));
      },
    });
  const download = (e: Entry) =>
    `/api/plugins/files/download?root=${root()}&path=${encodeURIComponent(join(path(), e.name))}`;

  return (
    <section
      class="page"
      aria-label={t('files.dropzone')}
      data-testid="files-dropzone"
      onDragOver={(ev) => {
        ev.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(ev) => {
        ev.preventDefault();
        setDragging(false);
        if (ev.dataTransfer?.files?.length) upload(ev.dataTransfer.files);
      }}
      style={dragging() ? { outline: '2px dashed var(--wc-accent)', 'outline-offset': '4px' } : {}}
    >
      <h1>{t('files.title')}</h1>
      <div
        style={{
          display: 'flex',
          gap: '0.25rem',
          'flex-wrap': 'wrap',
          'align-items': 'center',
          margin: '0 0 0.5rem',
        }}
      >
        <Show when={(roots()?.length ?? 0) > 1}>
          <div
            role="tablist"
            aria-label={t('files.roots')}
            data-testid="files-roots"
            style={{ display: 'flex', gap: '0.25rem' }}
          >
            <For each={roots()}>
              {(r) => (
                <button
                  type="button"
                  role="tab"
                  aria-selected={root() === r.index}
                  class={root() === r.index ? 'wc-btn wc-btn-primary' : 'wc-btn'}
                  onClick={() => switchRoot(r.index)}
                >
                  {r.path}
                </button>
              )}
            </For>
          </div>
        </Show>
        <Show when={(roots()?.length ?? 0) === 1}>
          <code data-testid="files-root">{roots()?.[0]?.path}</code>
        </Show>
        <Show when={isAdmin()}>
          <A class="wc-btn" href="/p/files/roots" data-testid="files-manage-roots">
            {t('files.roots.manage')}
          </A>
        </Show>
      </div>
      <nav
        aria-label={t('files.breadcrumbs')}
        data-testid="files-breadcrumbs"
        style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}
      >
        <button type="button" class="wc-btn" onClick={() => go('')}>
          {t('files.rootCrumb')}
        </button>
        <For each={crumbs()}>
          {(c) => (
            <>
              <span aria-hidden="true">/</span>
              <button type="button" class="wc-btn" onClick={() => go(c.path)}>
                {c.name}
              </button>
            </>
          )}
        </For>
      </nav>
      <div style={{ display: 'flex', gap: '0.5rem', margin: '0.75rem 0', 'flex-wrap': 'wrap' }}>
        <button type="button" class="wc-btn" onClick={newFolder}>
          {t('files.newFolder')}
        </button>
        <button type="button" class="wc-btn" onClick={newFile}>
          {t('files.newFile')}
        </button>
        <label class="wc-btn">
          {t('files.upload')}
          <input
            type="file"
            multiple
            hidden
            data-testid="files-upload-input"
            onChange={(e) => e.currentTarget.files && upload(e.currentTarget.files)}
          />
        </label>
        <button
          type="button"
          class="wc-btn"
          aria-expanded={searching()}
          data-testid="files-search-open"
          onClick={() => setSearching(!searching())}
        >
          {t('files.search.title')}
        </button>
        <Show when={path()}>
          <A class="wc-btn" href={folderHref(root(), parent(path()))}>
            {t('files.up')}
          </A>
        </Show>
        <select
          class="wc-input"
          aria-label={t('files.sortBy')}
          value={sort()}
          onChange={(e) => setSort(e.currentTarget.value as 'name')}
        >
          <option value="name">{t('files.sort.name')}</option>
          <option value="size">{t('files.sort.size')}</option>
          <option value="mtime">{t('files.sort.mtime')}</option>
        </select>
      </div>
      <Show when={searching()}>
        <SearchPanel root={root()} path={path()} onClose={() => setSearching(false)} />
      </Show>
      <p style={{ color: 'var(--wc-muted)' }}>{t('files.dropHint')}</p>
      <Show when={uploads().length > 0}>
        <ul data-testid="files-uploads">
          <For each={uploads()}>
            {(u) => (
              <li>
                {u.name}: <progress max="1" value={u.progress} /> {Math.round(u.progress * 100)}%{' '}
                {u.error ?? ''}
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show
        when={!listing.error}
        fallback={<ErrorState title={t('files.listError')} error={listing.error} onRetry={refetch} />}
      >
        <Show when={listing()} fallback={<Loading />}>
          <Show when={listing()!.items.length > 0} fallback={<EmptyState title={t('files.empty')} />}>
            <table class="wc-table" data-testid="files-table">
              <thead>
                <tr>
                  <th>{t('files.col.name')}</th>
                  <th>{t('files.col.size')}</th>
                  <th>{t('files.col.mtime')}</th>
                  <th>{t('files.col.mode')}</th>
                  <th>{t('files.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                <For each={listing()!.items}>
                  {(e) => (
                    <tr data-testid={`file-row-${e.name}`}>
                      <td>
                        <Show
                          when={e.type === 'dir'}
                          fallback={
                            <A
                              href={editorHref(root(), join(path(), e.name))}
                              data-testid={`file-open-${e.name}`}
                            >
                              {e.name}
                            </A>
                          }
                        >
                          <button type="button" class="wc-btn" onClick={() => go(join(path(), e.name))}>
                            📁 {e.name}
                          </button>
                        </Show>
                      </td>
                      <td>{e.type === 'dir' ? '' : formatSize(e.size)}</td>
                      <td>{formatTime(e.mtime)}</td>
                      <td>
                        <code data-testid={`file-mode-${e.name}`}>{e.mode}</code>
                      </td>
                      <td style={{ display: 'flex', gap: '0.25rem' }}>
                        <a class="wc-btn" href={download(e)} download="">
                          {t('files.download')}
                        </a>
                        <button type="button" class="wc-btn" onClick={() => rename(e)}>
                          {t('files.rename')}
                        </button>
                        <button
                          type="button"
                          class="wc-btn"
                          data-testid={`file-perms-${e.name}`}
                          onClick={() => setPermsOf(e)}
                        >
                          {t('files.permissions')}
                        </button>
                        <button
                          type="button"
                          class="wc-btn"
                          data-testid={`file-delete-${e.name}`}
                          onClick={() => remove(e)}
                        >
                          {t('files.delete')}
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
      <Show when={asking()}>{(a) => <NameDialog {...a()} onClose={() => setAsking(null)} />}</Show>
      <Show when={permsOf()}>
        {(e) => (
          <PermissionsDialog
            root={root()}
            path={join(path(), e().name)}
            entry={e()}
            onClose={() => setPermsOf(null)}
            onDone={refetch}
          />
        )}
      </Show>
      <details style={{ 'margin-top': '1.5rem' }}>
        <summary>{t('files.trash', { count: trash()?.items.length ?? 0 })}</summary>
        <ul data-testid="files-trash">
          <For each={trash()?.items ?? []}>
            {(item) => (
              <li>
                {item.path}{' '}
                <small>
                  ({formatTime(item.deletedAt)}, {item.deletedBy})
                </small>{' '}
                <button
                  type="button"
                  class="wc-btn"
                  onClick={() =>
                    run(() => api.post('/trash/restore', { id: item.id }), t('files.done.restored'))
                  }
                >
                  {t('files.restore')}
                </button>
              </li>
            )}
          </For>
        </ul>
      </details>
    </section>
  );
}

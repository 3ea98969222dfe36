import { A, useSearchParams } from '@solidjs/router';
import { EmptyState, ErrorState, Loading, useApi, useConfirm, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { type Entry, errorText, formatSize, join, parent, type TrashItem } from '../shared.js';
import { uploadFile } from '../upload.js';

interface Listing {
  path: string;
  total: number;
  items: Entry[];
}

export default function Browser() {
  const api = useApi().plugin('files');
  const toast = useToast();
  const confirm = useConfirm();
  const [params, setParams] = useSearchParams<{ path?: string }>();
  const path = () => params.path ?? '';
  const [sort, setSort] = createSignal<'name' | 'size' | 'mtime'>('name');
  const [listing, { refetch }] = createResource(
    () => ({ path: path(), sort: sort() }),
    (q) => api.get<Listing>('/list', { path: q.path, sort: q.sort, limit: 1000 }),
  );
  const [trash, trashActions] = createResource(() => api.get<{ items: TrashItem[] }>('/trash'));
  const [uploads, setUploads] = createSignal<{ name: string; progress: number; error?: string }[]>([]);
  const [dragging, setDragging] = createSignal(false);

  const crumbs = () => {
    const parts = path() ? path().split('/') : [];
    return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join('/') }));
  };
  const go = (p: string) => setParams({ path: p || undefined });

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

  async function upload(files: FileList | File[]) {
    const list = [...files];
    setUploads(list.map((f) => ({ name: f.name, progress: 0 })));
    for (const [i, file] of list.entries()) {
      const update = (patch: { progress?: number; error?: string }) =>
        setUploads((all) => all.map((u, j) => (j === i ? { ...u, ...patch } : u)));
      try {
        await uploadFile(api, 0, join(path(), file.name), file, (progress) => update({ progress }));
      } catch (error) {
        update({ error: errorText(error) });
      }
    }
    refetch();
  }

  const rename = (e: Entry) => {
    const to = prompt('New name (or path relative to the root)', join(path(), e.name));
    if (to && to !== join(path(), e.name))
      run(() => api.post('/rename', { from: join(path(), e.name), to }), 'Renamed');
  };
  const remove = async (e: Entry) => {
    if (!(await confirm({ title: `Move ${e.name} to the trash?`, danger: true, confirmLabel: 'Delete' })))
      return;
    run(() => api.delete(`/delete?path=${encodeURIComponent(join(path(), e.name))}`), 'Moved to the trash');
  };
  const newFolder = () => {
    const name = prompt('Folder name');
    if (name) run(() => api.post('/mkdir', { path: join(path(), name) }), 'Folder created');
  };
  const newFile = () => {
    const name = prompt('File name');
    if (name)
      run(() => api.post('/write', { path: join(path(), name), content: '', etag: null }), 'File created');
  };
  const download = (e: Entry) =>
    `/api/plugins/files/download?path=${encodeURIComponent(join(path(), e.name))}`;

  return (
    <section
      class="page"
      aria-label="Files (drop files here to upload)"
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
      <h1>Files</h1>
      <nav
        aria-label="Breadcrumbs"
        data-testid="files-breadcrumbs"
        style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}
      >
        <button type="button" class="wc-btn" onClick={() => go('')}>
          root
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
          New folder
        </button>
        <button type="button" class="wc-btn" onClick={newFile}>
          New file
        </button>
        <label class="wc-btn">
          Upload…
          <input
            type="file"
            multiple
            hidden
            data-testid="files-upload-input"
            onChange={(e) => e.currentTarget.files && upload(e.currentTarget.files)}
          />
        </label>
        <Show when={path()}>
          <A class="wc-btn" href={`/p/files/?path=${encodeURIComponent(parent(path()))}`}>
            Up
          </A>
        </Show>
        <select
          class="wc-input"
          aria-label="Sort by"
          value={sort()}
          onChange={(e) => setSort(e.currentTarget.value as 'name')}
        >
          <option value="name">Name</option>
          <option value="size">Size</option>
          <option value="mtime">Modified</option>
        </select>
      </div>
      <p style={{ color: 'var(--wc-muted)' }}>Drop files anywhere on this page to upload them here.</p>
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
        fallback={<ErrorState title="Could not list this folder" error={listing.error} onRetry={refetch} />}
      >
        <Show when={listing()} fallback={<Loading />}>
          <Show when={listing()!.items.length > 0} fallback={<EmptyState title="This folder is empty" />}>
            <table class="wc-table" data-testid="files-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Size</th>
                  <th>Modified</th>
                  <th>Mode</th>
                  <th>Actions</th>
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
                              href={`/p/files/edit?path=${encodeURIComponent(join(path(), e.name))}`}
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
                      <td>{new Date(e.mtime).toLocaleString()}</td>
                      <td>{e.mode}</td>
                      <td style={{ display: 'flex', gap: '0.25rem' }}>
                        <a class="wc-btn" href={download(e)} download="">
                          Download
                        </a>
                        <button type="button" class="wc-btn" onClick={() => rename(e)}>
                          Rename
                        </button>
                        <button
                          type="button"
                          class="wc-btn"
                          data-testid={`file-delete-${e.name}`}
                          onClick={() => remove(e)}
                        >
                          Delete
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
      <details style={{ 'margin-top': '1.5rem' }}>
        <summary>Trash ({trash()?.items.length ?? 0})</summary>
        <ul data-testid="files-trash">
          <For each={trash()?.items ?? []}>
            {(item) => (
              <li>
                {item.path}{' '}
                <small>
                  ({new Date(item.deletedAt).toLocaleString()}, {item.deletedBy})
                </small>{' '}
                <button
                  type="button"
                  class="wc-btn"
                  onClick={() => run(() => api.post('/trash/restore', { id: item.id }), 'Restored')}
                >
                  Restore
                </button>
              </li>
            )}
          </For>
        </ul>
      </details>
    </section>
  );
}

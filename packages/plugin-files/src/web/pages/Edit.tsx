import type { Extension } from '@codemirror/state';
import { A, useSearchParams } from '@solidjs/router';
import { ApiError, ErrorState, Loading, useApi, useToast } from '@webcasa/ui';
import { basicSetup, EditorView } from 'codemirror';
import { createResource, createSignal, onCleanup, Show } from 'solid-js';
import { errorText, parent } from '../shared.js';

interface FileAnswer {
  content: string;
  etag: string;
  size: number;
  binary: boolean;
}

/** The language of a file name, loaded on demand (each one is its own chunk). */
async function languageFor(name: string): Promise<Extension[]> {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  switch (ext) {
    case 'js':
    case 'mjs':
    case 'cjs':
    case 'jsx':
      return [(await import('@codemirror/lang-javascript')).javascript({ jsx: true })];
    case 'ts':
    case 'tsx':
    case 'mts':
      return [
        (await import('@codemirror/lang-javascript')).javascript({ typescript: true, jsx: ext === 'tsx' }),
      ];
    case 'json':
      return [(await import('@codemirror/lang-json')).json()];
    case 'css':
      return [(await import('@codemirror/lang-css')).css()];
    case 'html':
    case 'htm':
      return [(await import('@codemirror/lang-html')).html()];
    case 'md':
    case 'markdown':
      return [(await import('@codemirror/lang-markdown')).markdown()];
    case 'py':
      return [(await import('@codemirror/lang-python')).python()];
    case 'yml':
    case 'yaml':
      return [(await import('@codemirror/lang-yaml')).yaml()];
    default:
      return [];
  }
}

export default function Edit() {
  const api = useApi().plugin('files');
  const toast = useToast();
  const [params] = useSearchParams<{ path?: string }>();
  const path = () => params.path ?? '';
  const [etag, setEtag] = createSignal('');
  const [dirty, setDirty] = createSignal(false);
  const [conflict, setConflict] = createSignal(false);
  const [saving, setSaving] = createSignal(false);
  let view: EditorView | undefined;
  onCleanup(() => view?.destroy());

  const [file] = createResource(path, async (p) => {
    const answer = await api.get<FileAnswer>('/read', { path: p });
    setEtag(answer.etag);
    return answer;
  });

  async function mount(el: HTMLDivElement, answer: FileAnswer) {
    const language = await languageFor(path());
    view?.destroy();
    view = new EditorView({
      parent: el,
      doc: answer.content,
      extensions: [
        basicSetup,
        ...language,
        EditorView.updateListener.of((u) => {
          if (u.docChanged) setDirty(true);
        }),
      ],
    });
  }

  async function save(force = false) {
    if (!view) return;
    setSaving(true);
    try {
      const answer = await api.post<{ etag: string }>('/write', {
        path: path(),
        content: view.state.doc.toString(),
        ...(force ? {} : { etag: etag() }),
      });
      setEtag(answer.etag);
      setDirty(false);
      setConflict(false);
      toast({ kind: 'success', title: 'Saved' });
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setConflict(true);
      else toast({ kind: 'error', title: errorText(error) });
    } finally {
      setSaving(false);
    }
  }

  const download = () => `/api/plugins/files/download?path=${encodeURIComponent(path())}`;

  return (
    <section
      class="page"
      aria-label="Editor"
      onKeyDown={(e) => {
        if ((e.ctrlKey || e.metaKey) && e.key === 's') {
          e.preventDefault();
          save();
        }
      }}
    >
      <h1 data-testid="editor-title">{path()}</h1>
      <p>
        <A href={`/p/files/?path=${encodeURIComponent(parent(path()))}`}>Back to the folder</A>
      </p>
      <Show
        when={!file.error}
        fallback={
          <Show
            when={file.error instanceof ApiError && file.error.status === 413}
            fallback={<ErrorState title="Could not open the file" error={file.error} />}
          >
            <p data-testid="editor-too-large">
              This file is too large for the editor. <a href={download()}>Download it</a> instead.
            </p>
          </Show>
        }
      >
        <Show when={file()} fallback={<Loading />}>
          <Show when={!file()!.binary} fallback={<p>This looks like a binary file; download it instead.</p>}>
            <div
              style={{ display: 'flex', gap: '0.5rem', 'margin-bottom': '0.5rem', 'align-items': 'center' }}
            >
              <button
                type="button"
                class="wc-btn wc-btn-primary"
                data-testid="editor-save"
                disabled={saving()}
                onClick={() => save()}
              >
                Save
              </button>
              <span data-testid="editor-state">
                {saving() ? 'Saving…' : dirty() ? 'Unsaved changes' : 'Saved'}
              </span>
            </div>
            <Show when={conflict()}>
              <div role="alert" class="card" data-testid="editor-conflict">
                The file changed on the server since you opened it.{' '}
                <button type="button" class="wc-btn" onClick={() => location.reload()}>
                  Reload (lose my changes)
                </button>{' '}
                <button type="button" class="wc-btn" onClick={() => save(true)}>
                  Overwrite
                </button>
              </div>
            </Show>
            <div
              data-testid="editor"
              style={{ border: '1px solid var(--wc-border)', 'min-height': '300px' }}
              ref={(el) => queueMicrotask(() => mount(el, file()!))}
            />
          </Show>
        </Show>
      </Show>
    </section>
  );
}

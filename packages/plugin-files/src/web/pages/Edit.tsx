import type { Extension } from '@codemirror/state';
import { A, useSearchParams } from '@solidjs/router';
import { ApiError, ErrorState, Loading, useApi, useToast } from '@webcasa/ui';
import { basicSetup, EditorView } from 'codemirror';
import { createResource, createSignal, onCleanup, Show } from 'solid-js';
import { useFilesI18n } from '../i18n.js';
import { folderHref } from '../SearchPanel.js';
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
  const { t } = useFilesI18n();
  const api = useApi().plugin('files');
  const toast = useToast();
  const [params] = useSearchParams<{ path?: string; root?: string }>();
  const path = () => params.path ?? '';
  const root = () => {
    const n = Number(params.root ?? 0);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  };
  const [etag, setEtag] = createSignal('');
  const [dirty, setDirty] = createSignal(false);
  const [conflict, setConflict] = createSignal(false);
  const [saving, setSaving] = createSignal(false);
  let view: EditorView | undefined;
  onCleanup(() => view?.destroy());

  const [file] = createResource(
    () => ({ root: root(), path: path() }),
    async (q) => {
      const answer = await api.get<FileAnswer>('/read', q);
      setEtag(answer.etag);
      return answer;
    },
  );

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
        root: root(),
        path: path(),
        content: view.state.doc.toString(),
        ...(force ? {} : { etag: etag() }),
      });
      setEtag(answer.etag);
      setDirty(false);
      setConflict(false);
      toast({ kind: 'success', title: t('files.edit.saved') });
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setConflict(true);
      else toast({ kind: 'error', title: errorText(error) });
    } finally {
      setSaving(false);
    }
  }

  const download = () => `/api/plugins/files/download?root=${root()}&path=${encodeURIComponent(path())}`;

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
        <A href={folderHref(root(), parent(path()))}>{t('files.edit.back')}</A>
      </p>
      <Show
        when={!file.error}
        fallback={
          <Show
            when={file.error instanceof ApiError && file.error.status === 413}
            fallback={<ErrorState title={t('files.edit.openError')} error={file.error} />}
          >
            <p data-testid="editor-too-large">
              {t('files.edit.tooLarge')} <a href={download()}>{t('files.edit.downloadInstead')}</a>
            </p>
          </Show>
        }
      >
        <Show when={file()} fallback={<Loading />}>
          <Show when={!file()!.binary} fallback={<p>{t('files.edit.binary')}</p>}>
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
                {t('files.edit.save')}
              </button>
              <span data-testid="editor-state">
                {saving() ? t('files.edit.saving') : dirty() ? t('files.edit.dirty') : t('files.edit.saved')}
              </span>
            </div>
            <Show when={conflict()}>
              <div role="alert" class="card" data-testid="editor-conflict">
                {t('files.edit.conflict')}{' '}
                <button type="button" class="wc-btn" onClick={() => location.reload()}>
                  {t('files.edit.reload')}
                </button>{' '}
                <button type="button" class="wc-btn" onClick={() => save(true)}>
                  {t('files.edit.overwrite')}
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

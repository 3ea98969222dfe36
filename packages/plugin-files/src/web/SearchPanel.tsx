import { A } from '@solidjs/router';
import { useApi } from '@webcasa/ui';
import { createSignal, For, Show } from 'solid-js';
import { useFilesI18n } from './i18n.js';
import { errorText, parent } from './shared.js';

interface Hit {
  path: string;
  type: string;
  line?: number;
  text?: string;
}

/** The API's answer limit for one search (the server also stops at 50,000 entries and 5 s). */
const LIMIT = 100;

/** Links to a hit: the editor for files, the browser for folders; both keep the root. */
export const editorHref = (root: number, path: string) =>
  `/p/files/edit?root=${root}&path=${encodeURIComponent(path)}`;
export const folderHref = (root: number, path: string) =>
  `/p/files/?root=${root}${path ? `&path=${encodeURIComponent(path)}` : ''}`;

/** Search by name and/or content below the current folder, with clickable results. */
export default function SearchPanel(props: { root: number; path: string; onClose: () => void }) {
  const { t } = useFilesI18n();
  const api = useApi().plugin('files');
  const [name, setName] = createSignal('');
  const [content, setContent] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal('');
  const [result, setResult] = createSignal<{ hits: Hit[]; truncated: boolean } | null>(null);

  async function search(e: Event) {
    e.preventDefault();
    if (!name().trim() && !content()) {
      setError(t('files.search.needOne'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      const q: Record<string, string | number> = { root: props.root, path: props.path, limit: LIMIT };
      if (name().trim()) q.name = name().trim();
      if (content()) q.content = content();
      setResult(await api.get<{ hits: Hit[]; truncated: boolean }>('/search', q));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section
      class="card"
      aria-label={t('files.search.title')}
      data-testid="files-search"
      style={{ padding: '1rem', margin: '0.75rem 0' }}
    >
      <form
        onSubmit={search}
        style={{ display: 'flex', gap: '0.5rem', 'flex-wrap': 'wrap', 'align-items': 'end' }}
      >
        <label class="wc-field">
          <span>{t('files.search.name')}</span>
          <input
            class="wc-input"
            value={name()}
            maxLength={200}
            data-testid="search-name"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label class="wc-field">
          <span>{t('files.search.content')}</span>
          <input
            class="wc-input"
            value={content()}
            maxLength={200}
            data-testid="search-content"
            onInput={(e) => setContent(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()} data-testid="search-run">
          {t('files.search.run')}
        </button>
        <button type="button" class="wc-btn" onClick={props.onClose}>
          {t('files.search.clear')}
        </button>
      </form>
      <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem' }}>
        {t('files.search.limits', { limit: LIMIT })}
      </p>
      <Show when={error()}>
        <p role="alert" style={{ color: 'var(--wc-danger, #d33)' }}>
          {error()}
        </p>
      </Show>
      <Show when={result()}>
        {(r) => (
          <Show when={r().hits.length > 0} fallback={<p>{t('files.search.none')}</p>}>
            <p data-testid="search-summary">
              {r().truncated
                ? t('files.search.truncated', { count: r().hits.length })
                : t('files.search.results', { count: r().hits.length })}
            </p>
            <ul data-testid="search-results">
              <For each={r().hits}>
                {(hit) => (
                  <li>
                    <Show
                      when={hit.type === 'dir'}
                      fallback={
                        <A href={editorHref(props.root, hit.path)} data-testid={`search-hit-${hit.path}`}>
                          {hit.path}
                        </A>
                      }
                    >
                      <A href={folderHref(props.root, hit.path)} data-testid={`search-hit-${hit.path}`}>
                        📁 {hit.path}
                      </A>
                    </Show>
                    <Show when={hit.line}>
                      {' '}
                      <small>
                        ({t('files.search.line', { line: hit.line })}) <code>{hit.text}</code>
                      </small>
                    </Show>{' '}
                    <A class="wc-btn" href={folderHref(props.root, parent(hit.path))}>
                      {t('files.search.openFolder')}
                    </A>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </section>
  );
}

import './installer.css';
import {
  type ApiError,
  EmptyState,
  Icon,
  type InstallPlan,
  type InstallSource,
  Loading,
  type PluginSearchResult,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { PermissionsDialog } from './PermissionsDialog.js';
import { RegistrySettings } from './RegistrySettings.js';
import { updateAvailable } from './versions.js';

export interface InstallSectionProps {
  /** An install run started: the page follows it. */
  onStarted: (runId: string, title: string) => void;
  /** Open the update dialog of an installed plugin. */
  onUpdate: (id: string) => void;
  /** Bumped by the page after an operation ended, so installed badges follow. */
  version: () => number;
}

/**
 * "Browse and install": search the registry (packages with keyword
 * `webcasa-plugin`), or pick a `.tgz`; both read the package first (nothing of
 * it runs) and ask the admin to accept its permissions in a dialog.
 */
export function InstallSection(props: InstallSectionProps) {
  const api = useApi();
  const { t } = useI18n();
  const [registry, { mutate: setRegistry }] = createResource(() => api.installer.registry());
  const [query, setQuery] = createSignal('');
  // `false` until the first search: nothing is fetched from the registry before the admin asks.
  const [searched, setSearched] = createSignal<{ q: string; n: number } | false>(false);
  const [results] = createResource(
    () => {
      const s = searched();
      return s && { ...s, v: props.version() };
    },
    (s) => api.installer.search(s.q),
  );
  const [pending, setPending] = createSignal<{ plan: InstallPlan; source: InstallSource } | null>(null);
  const [reading, setReading] = createSignal<string | null>(null);
  const [previewError, setPreviewError] = createSignal<string | null>(null);
  const [file, setFile] = createSignal<File | null>(null);

  const preview = async (source: InstallSource, what: string) => {
    setReading(what);
    setPreviewError(null);
    try {
      setPending({ plan: await api.installer.preview(source), source });
    } catch (e) {
      setPreviewError(t('install.previewFailed', { what, message: (e as ApiError).message }));
    } finally {
      setReading(null);
    }
  };

  const search = (event: SubmitEvent) => {
    event.preventDefault();
    setSearched({ q: query().trim(), n: (searched() || { n: 0 }).n + 1 });
  };

  const card = (r: PluginSearchResult) => {
    const update = () => updateAvailable(r.installed?.version, r.version);
    return (
      <li class="card install-card" data-testid={`search-result-${r.name}`}>
        <div class="install-card-head">
          <strong class="card-title">{r.name}</strong>
          <code class="wc-muted">{r.version}</code>
        </div>
        <p class="small">{r.description}</p>
        <Show when={r.publisher}>
          <p class="wc-muted small">{t('install.by', { publisher: r.publisher })}</p>
        </Show>
        <div class="install-card-foot">
          <Show
            when={r.installed}
            fallback={
              <button
                type="button"
                class="wc-btn wc-btn-primary wc-btn-small"
                disabled={reading() !== null}
                aria-label={t('install.installOf', { name: r.name })}
                data-action={`install-${r.name}`}
                onClick={() => {
                  // Some registries (verdaccio) leave the version out of search results: then the newest.
                  const spec = r.version ? `${r.name}@${r.version}` : r.name;
                  void preview({ spec }, spec);
                }}
              >
                <Icon name="download" size={14} />
                {t('install.install')}
              </button>
            }
          >
            {(i) => (
              <>
                <span class="wc-badge wc-badge-running">
                  {t('install.installed', { version: i().version })}
                </span>
                <Show when={update()}>
                  {(v) => (
                    <button
                      type="button"
                      class="wc-btn wc-btn-small"
                      data-action={`update-${i().id}`}
                      onClick={() => props.onUpdate(i().id)}
                    >
                      {t('install.updateAvailable', { version: v() })}
                    </button>
                  )}
                </Show>
              </>
            )}
          </Show>
        </div>
      </li>
    );
  };

  return (
    <section class="section install-section" aria-labelledby="install-title">
      <h2 id="install-title">{t('install.title')}</h2>
      <p class="wc-muted">{t('install.intro')}</p>
      <form class="install-search" onSubmit={search}>
        <label for="install-q" class="wc-sr-only">
          {t('install.search')}
        </label>
        <input
          id="install-q"
          class="wc-input"
          type="search"
          name="q"
          value={query()}
          placeholder={t('install.searchPlaceholder')}
          aria-label={t('install.search')}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="submit" class="wc-btn" data-action="search-plugins">
          <Icon name="search" size={16} />
          {t('install.searchButton')}
        </button>
      </form>
      <Show when={reading()}>{(what) => <Loading label={t('install.reading', { what: what() })} />}</Show>
      <Show when={previewError()}>
        <p class="wc-error" role="alert" data-testid="preview-error">
          {previewError()}
        </p>
      </Show>
      <Show when={searched()}>
        <Show
          when={!results.error}
          fallback={
            <p class="wc-error" role="alert">
              {(results.error as Error)?.message}
            </p>
          }
        >
          <Show when={!results.loading || results()} fallback={<Loading label={t('ui.loading')} />}>
            <Show
              when={(results() ?? []).length > 0}
              fallback={
                <EmptyState
                  title={t('install.noResults')}
                  body={t('install.noResultsBody', { registry: registry()?.url ?? '' })}
                />
              }
            >
              <ul class="cards install-results" aria-label={t('install.results')}>
                <For each={results()}>{card}</For>
              </ul>
            </Show>
          </Show>
        </Show>
      </Show>

      <details class="section install-file">
        <summary>{t('install.fromFile')}</summary>
        <div class="wc-field">
          <label for="install-tgz">{t('install.chooseFile')}</label>
          <input
            id="install-tgz"
            type="file"
            name="tarball"
            accept=".tgz,.tar.gz,application/gzip"
            aria-describedby="install-tgz-hint"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
          <p class="wc-hint" id="install-tgz-hint">
            {t('install.fromFileHint')}
          </p>
        </div>
        <button
          type="button"
          class="wc-btn"
          disabled={!file() || reading() !== null}
          data-action="read-tarball"
          onClick={() => {
            const f = file();
            if (f) void preview({ tarball: f, name: f.name }, f.name);
          }}
        >
          {t('install.readFile')}
        </button>
      </details>

      <details class="section install-registry">
        <summary>{t('install.registry')}</summary>
        <RegistrySettings registry={registry()} onSaved={(r) => setRegistry(r)} />
      </details>

      <Show when={pending()}>
        {(p) => (
          <PermissionsDialog
            plan={p().plan}
            source={p().source}
            onClose={() => setPending(null)}
            onStarted={(runId, title) => {
              setPending(null);
              props.onStarted(runId, title);
            }}
          />
        )}
      </Show>
    </section>
  );
}

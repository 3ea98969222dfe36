import { ErrorState, Loading, type PluginPageProps } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { type AppDetail, logoUrl, storeApi } from '../lib.js';
import InstallDialog from './InstallDialog.js';

/** One app: description, version, source, architectures, and the install dialog. */
export default function AppPage(props: Record<string, unknown>) {
  const { params } = props as unknown as PluginPageProps;
  const api = storeApi();
  const [open, setOpen] = createSignal(false);
  const [app, { refetch }] = createResource(
    () => `${params.store}/${params.app}`,
    (key) => api.get<AppDetail>(`/apps/${key}`),
  );
  return (
    <div class="page">
      <Show when={!app.error} fallback={<ErrorState title="Could not load" error={app.error} />}>
        <Show when={app()} fallback={<Loading />}>
          {(a) => (
            <>
              <header style={{ display: 'flex', gap: '1rem', 'align-items': 'center' }}>
                <Show when={a().hasLogo}>
                  <img
                    src={logoUrl(a().source, a().id)}
                    alt=""
                    width="72"
                    height="72"
                    style={{ 'border-radius': '12px' }}
                  />
                </Show>
                <div>
                  <h1>{a().name}</h1>
                  <p style={{ color: 'var(--wc-muted)', margin: 0 }}>{a().short_desc}</p>
                </div>
              </header>
              <dl
                class="card"
                style={{
                  display: 'grid',
                  'grid-template-columns': 'max-content 1fr',
                  gap: '0.25rem 1rem',
                  padding: '1rem',
                }}
              >
                <dt>Version</dt>
                <dd data-testid="app-version">
                  {a().version} (tipi {a().tipi_version})
                </dd>
                <dt>Author</dt>
                <dd>{a().author}</dd>
                <dt>Source</dt>
                <dd>
                  <Show when={/^https?:\/\//.test(a().source_url)} fallback={a().source_url}>
                    <a href={a().source_url} rel="noopener noreferrer" target="_blank">
                      {a().source_url}
                    </a>
                  </Show>
                </dd>
                <dt>Architectures</dt>
                <dd>{a().supported_architectures?.join(', ') ?? 'not stated'}</dd>
                <dt>Categories</dt>
                <dd>
                  <For each={a().categories}>{(c) => <span class="wc-badge">{c} </span>}</For>
                </dd>
              </dl>
              <div style={{ margin: '1rem 0' }}>
                <Show
                  when={!a().installed}
                  fallback={
                    <a class="wc-btn" href="/p/app-store/installed">
                      Installed ({a().installed?.status})
                    </a>
                  }
                >
                  <button
                    type="button"
                    class="wc-btn wc-btn-primary"
                    disabled={!a().available}
                    onClick={() => setOpen(true)}
                  >
                    Install
                  </button>
                </Show>
              </div>
              {/* Rendered on the server by micromark, which escapes raw HTML and unsafe URLs. */}
              <article class="card" style={{ padding: '1rem' }} innerHTML={a().descriptionHtml} />
              <Show when={open()}>
                <InstallDialog app={a()} onClose={() => setOpen(false)} onInstalled={() => void refetch()} />
              </Show>
            </>
          )}
        </Show>
      </Show>
    </div>
  );
}

import { EmptyState, ErrorState, Loading } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { type AppSummary, logoUrl, storeApi } from '../lib.js';

/** The store browser: categories, search, and a card per app. */
export default function Store() {
  const api = storeApi();
  const [category, setCategory] = createSignal('');
  const [q, setQ] = createSignal('');
  const [data] = createResource(
    () => ({ category: category(), q: q() }),
    (f) =>
      api.get<{ items: AppSummary[]; categories: { id: string; count: number }[] }>('/apps', {
        ...(f.category ? { category: f.category } : {}),
        ...(f.q ? { q: f.q } : {}),
      }),
  );
  return (
    <div class="page">
      <header style={{ display: 'flex', 'align-items': 'center', gap: '1rem', 'flex-wrap': 'wrap' }}>
        <h1>App Store</h1>
        <a class="wc-btn" href="/p/app-store/installed">
          Installed apps
        </a>
        <a class="wc-btn" href="/p/app-store/sources">
          App stores
        </a>
      </header>
      <div style={{ display: 'flex', gap: '0.5rem', margin: '1rem 0', 'flex-wrap': 'wrap' }}>
        <input
          class="wc-input"
          type="search"
          aria-label="Search apps"
          placeholder="Search apps"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <nav aria-label="Categories" style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}>
          <button
            type="button"
            class="wc-btn"
            aria-pressed={category() === ''}
            onClick={() => setCategory('')}
          >
            All
          </button>
          <For each={data.latest?.categories ?? []}>
            {(c) => (
              <button
                type="button"
                class="wc-btn"
                aria-pressed={category() === c.id}
                onClick={() => setCategory(c.id)}
              >
                {c.id} ({c.count})
              </button>
            )}
          </For>
        </nav>
      </div>
      <Show when={!data.error} fallback={<ErrorState title="Could not load" error={data.error} />}>
        <Show when={data.latest} fallback={<Loading />}>
          <Show
            when={(data.latest?.items.length ?? 0) > 0}
            fallback={
              <EmptyState
                title="No apps"
                body="Add an app store on the App stores page, or change the search."
              />
            }
          >
            <ul
              aria-label="Apps"
              style={{
                display: 'grid',
                'grid-template-columns': 'repeat(auto-fill, minmax(240px, 1fr))',
                gap: '1rem',
                padding: 0,
                'list-style': 'none',
              }}
            >
              <For each={data.latest?.items}>
                {(app) => (
                  <li class="card" data-testid="app-card" style={{ padding: '1rem' }}>
                    <a
                      href={`/p/app-store/app/${app.source}/${app.id}`}
                      style={{ display: 'flex', gap: '0.75rem', 'text-decoration': 'none', color: 'inherit' }}
                    >
                      <img
                        src={logoUrl(app.source, app.id)}
                        alt=""
                        width="48"
                        height="48"
                        loading="lazy"
                        style={{ 'border-radius': '8px' }}
                      />
                      <span>
                        <strong>{app.name}</strong>
                        <br />
                        <small style={{ color: 'var(--wc-muted)' }}>{app.short_desc}</small>
                      </span>
                    </a>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Show>
      </Show>
    </div>
  );
}

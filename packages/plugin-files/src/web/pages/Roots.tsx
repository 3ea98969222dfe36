import { A } from '@solidjs/router';
import { ErrorState, Loading, useApi, useShell, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { useFilesI18n } from '../i18n.js';
import { errorText } from '../shared.js';

/**
 * The roots editor: the `roots` setting of the plugin, changed through the panel's settings API
 * (`PUT /api/admin/plugins/files/config`, admins). The plugin picks the new list up at once.
 * Folders that do not exist are kept in the setting but skipped by the file manager; they are
 * marked here, from `GET /roots` (the roots in use).
 */
export default function Roots() {
  const { t } = useFilesI18n();
  const api = useApi();
  const files = api.plugin('files');
  const toast = useToast();
  const shell = useShell();
  const isAdmin = () => shell.me()?.user.role === 'admin';
  const [roots, setRoots] = createSignal<string[]>([]);
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [settings, { refetch }] = createResource(isAdmin, async () => {
    const answer = await api.plugins.config('files');
    setRoots([...((answer.config.roots as string[] | undefined) ?? [])]);
    return answer;
  });
  const [inUse, inUseActions] = createResource(() =>
    files.get<{ items: { index: number; path: string }[] }>('/roots').then((r) => r.items),
  );
  const missing = (index: number) =>
    roots()[index] !== '' && inUse() !== undefined && !inUse()!.some((r) => r.index === index);

  const update = (index: number, value: string) =>
    setRoots((all) => all.map((r, i) => (i === index ? value : r)));
  const remove = (index: number) => setRoots((all) => all.filter((_, i) => i !== index));
  const up = (index: number) =>
    setRoots((all) => {
      const next = [...all];
      [next[index - 1], next[index]] = [next[index] as string, next[index - 1] as string];
      return next;
    });

  async function save(e: Event) {
    e.preventDefault();
    const list = roots()
      .map((r) => r.trim())
      .filter((r) => r !== '');
    if (list.some((r) => !r.startsWith('/'))) {
      setError(t('files.rootsPage.absolute'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      await api.plugins.setConfig('files', { roots: list });
      toast({ kind: 'success', title: t('files.rootsPage.saved') });
      await refetch();
      inUseActions.refetch();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="page">
      <h1>{t('files.rootsPage.title')}</h1>
      <p>
        <A href="/p/files/">{t('files.rootsPage.back')}</A>
      </p>
      <p style={{ color: 'var(--wc-muted)' }}>{t('files.rootsPage.intro')}</p>
      <Show when={isAdmin()} fallback={<p>{t('files.rootsPage.adminOnly')}</p>}>
        <Show
          when={!settings.error}
          fallback={
            <ErrorState title={t('files.rootsPage.loadError')} error={settings.error} onRetry={refetch} />
          }
        >
          <Show when={settings()} fallback={<Loading />}>
            <form onSubmit={save} data-testid="roots-form">
              <For each={roots()}>
                {(root, i) => (
                  <div style={{ display: 'flex', gap: '0.5rem', 'align-items': 'end', margin: '0 0 0.5rem' }}>
                    <label class="wc-field" style={{ flex: '1' }}>
                      <span>{t('files.rootsPage.path', { n: i() + 1 })}</span>
                      <input
                        class="wc-input"
                        value={root}
                        placeholder="/srv/www"
                        data-testid={`root-input-${i()}`}
                        onChange={(e) => update(i(), e.currentTarget.value)}
                      />
                    </label>
                    <Show when={missing(i())}>
                      <span class="wc-badge">{t('files.rootsPage.missing')}</span>
                    </Show>
                    <button type="button" class="wc-btn" disabled={i() === 0} onClick={() => up(i())}>
                      {t('files.rootsPage.up')}
                    </button>
                    <button type="button" class="wc-btn" onClick={() => remove(i())}>
                      {t('files.rootsPage.remove')}
                    </button>
                  </div>
                )}
              </For>
              <div style={{ display: 'flex', gap: '0.5rem' }}>
                <button
                  type="button"
                  class="wc-btn"
                  data-testid="root-add"
                  onClick={() => setRoots((all) => [...all, ''])}
                >
                  {t('files.rootsPage.add')}
                </button>
                <button
                  type="submit"
                  class="wc-btn wc-btn-primary"
                  disabled={busy()}
                  data-testid="roots-save"
                >
                  {t('files.rootsPage.save')}
                </button>
              </div>
              <Show when={error()}>
                <p role="alert" style={{ color: 'var(--wc-danger, #d33)' }}>
                  {error()}
                </p>
              </Show>
            </form>
          </Show>
        </Show>
      </Show>
    </div>
  );
}

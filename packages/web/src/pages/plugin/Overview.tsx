import { A } from '@solidjs/router';
import { useApi, useConfirm, useI18n, useMode, useToast } from '@webcasa/ui';
import { createSignal, For, Show } from 'solid-js';
import { Facts, formatBytes, formatDuration } from '../kit.js';
import type { TabProps } from './PluginDetail.js';

function authorOf(author: unknown): string | undefined {
  if (typeof author === 'string') return author;
  if (author && typeof author === 'object' && 'name' in author)
    return String((author as { name: string }).name);
  return undefined;
}

/** Manifest facts, status and error, dependencies both ways, timings, permissions, isolation. */
export default function Overview(props: TabProps) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const confirm = useConfirm();
  const toast = useToast();
  const [switching, setSwitching] = createSignal(false);
  const p = () => props.plugin;
  const deps = (record: Record<string, string>) => Object.entries(record);

  const switchIsolation = async (to: 'process' | 'in-process') => {
    const ok = await confirm({
      title: t(to === 'process' ? 'plugin.isolateConfirm' : 'plugin.unisolateConfirm', { name: p().name }),
      body: t('plugin.isolateBody'),
      always: true,
    });
    if (!ok) return;
    setSwitching(true);
    try {
      await api.plugins.setIsolation(p().id, to);
      toast({ kind: 'success', title: t('plugin.isolationChanged', { name: p().name }) });
      props.refetch();
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    } finally {
      setSwitching(false);
    }
  };

  return (
    <div class="overview">
      <Show when={p().error}>
        {(e) => (
          <div class="notice notice-error" role="alert" data-testid="plugin-error">
            <strong>{t('plugin.errorTitle')}</strong> <code>{e().code}</code>: {e().message}
            <div class="wc-muted small">{i18n.formatTime(e().at)}</div>
          </div>
        )}
      </Show>
      <Show when={p().description}>
        <p>{p().description}</p>
      </Show>
      <div class="grid-2">
        <section class="card" aria-labelledby="ov-facts">
          <h2 id="ov-facts">{t('plugin.facts')}</h2>
          <Facts
            items={[
              [t('plugin.id'), <code>{p().id}</code>],
              [t('plugins.version'), p().version],
              [t('plugin.package'), p().packageName ? <code>{p().packageName}</code> : null],
              [t('plugins.source'), t(`plugin.source.${p().source}`)],
              [t('plugin.author'), authorOf(p().manifest.author)],
              [t('plugin.category'), p().manifest.category],
              [t('plugins.status'), t(`plugins.status.${p().status}`)],
              [t('plugin.enabledState'), p().enabled ? t('common.yes') : t('common.no')],
              [t('plugin.loadOrder'), p().loadOrder === null ? null : String(p().loadOrder! + 1)],
            ]}
          />
        </section>
        <section class="card" aria-labelledby="ov-timings">
          <h2 id="ov-timings">{t('plugin.timings')}</h2>
          <Facts
            items={[
              [t('plugin.setupTime'), formatDuration(p().timings.setupMs)],
              [t('plugin.startTime'), formatDuration(p().timings.startMs)],
            ]}
          />
          <h2 id="ov-isolation">{t('plugin.isolation')}</h2>
          <Show when={p().isolation} fallback={<p class="wc-muted">{t('plugin.isolationUnknown')}</p>}>
            {(iso) => (
              <>
                <Facts
                  items={[
                    [t('plugin.isolationMode'), t(`plugin.isolation.${iso()}`)],
                    ...(iso() === 'process'
                      ? ([
                          [
                            t('plugin.pid'),
                            p().pid === null || p().pid === undefined ? null : String(p().pid),
                          ],
                          [t('plugin.memory'), formatBytes(p().memoryRss)],
                          [t('plugin.restarts'), String(p().restarts ?? 0)],
                        ] as [string, string | null][])
                      : []),
                  ]}
                />
                <Show when={p().lastCrash}>
                  {(crash) => (
                    <div class="notice notice-error" data-testid="plugin-last-crash">
                      <strong>{t('plugin.lastCrash')}</strong>: {crash().reason}{' '}
                      <span class="wc-muted small">
                        ({i18n.formatTime(crash().at)}
                        {crash().exitCode !== null ? `, ${t('plugin.exitCode')} ${crash().exitCode}` : ''}
                        {crash().signal ? `, ${crash().signal}` : ''})
                      </span>
                      <Show when={crash().stderr.length > 0}>
                        <pre class="wc-state-detail">{crash().stderr.join('\n')}</pre>
                      </Show>
                    </div>
                  )}
                </Show>
                <Show when={mode.isAdvanced()}>
                  <button
                    type="button"
                    class="wc-btn wc-btn-small"
                    disabled={switching()}
                    onClick={() => void switchIsolation(iso() === 'process' ? 'in-process' : 'process')}
                  >
                    {iso() === 'process' ? t('plugin.runInPanel') : t('plugin.runIsolated')}
                  </button>
                </Show>
              </>
            )}
          </Show>
        </section>
      </div>
      <div class="grid-2">
        <section class="card" aria-labelledby="ov-deps">
          <h2 id="ov-deps">{t('plugin.dependencies')}</h2>
          <Show
            when={deps(p().dependencies).length + deps(p().optionalDependencies).length > 0}
            fallback={<p class="wc-muted">{t('plugin.noDependencies')}</p>}
          >
            <ul class="dep-list" data-testid="plugin-dependencies">
              <For each={deps(p().dependencies)}>
                {([id, range]) => (
                  <li>
                    <A href={`/admin/plugins/${id}`}>{id}</A> <code class="wc-muted">{range}</code>
                  </li>
                )}
              </For>
              <For each={deps(p().optionalDependencies)}>
                {([id, range]) => (
                  <li>
                    <A href={`/admin/plugins/${id}`}>{id}</A> <code class="wc-muted">{range}</code>{' '}
                    <span class="wc-badge">{t('plugin.optional')}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <h2 id="ov-dependents">{t('plugins.dependents')}</h2>
          <Show
            when={p().dependents.length > 0}
            fallback={<p class="wc-muted">{t('plugin.noDependents')}</p>}
          >
            <ul class="dep-list" data-testid="plugin-dependents">
              <For each={p().dependents}>
                {(id) => (
                  <li>
                    <A href={`/admin/plugins/${id}`}>{id}</A>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
        <section class="card" aria-labelledby="ov-perms">
          <h2 id="ov-perms">{t('plugin.permissions')}</h2>
          <Show
            when={p().permissions.length > 0}
            fallback={<p class="wc-muted">{t('plugin.noPermissions')}</p>}
          >
            <ul class="tag-list">
              <For each={p().permissions}>
                {(perm) => (
                  <li>
                    <code>{perm}</code>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </div>
      <Show when={mode.isAdvanced()}>
        <details class="card section">
          <summary>{t('plugins.raw')}</summary>
          <pre class="wc-state-detail">{JSON.stringify(p().manifest, null, 2)}</pre>
        </details>
      </Show>
    </div>
  );
}

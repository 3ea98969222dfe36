import { A, useLocation } from '@solidjs/router';
import { ErrorState, Icon, useApi, useI18n, useShell, useToast } from '@webcasa/ui';
import {
  createEffect,
  createSignal,
  ErrorBoundary,
  For,
  onCleanup,
  type ParentProps,
  Suspense,
} from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { operatorMessages } from '../messages/operator.js';
import { lazyOf } from '../state/lazy.js';
import { createMessageCenter } from '../state/messages.js';
import { connectEvents, createPluginRegistry } from '../state/plugins.js';
import { RegistryContext } from '../state/registry-context.js';
import { TopBar } from './TopBar.js';

interface CoreLink {
  href: string;
  label: string;
  icon: string;
  admin?: boolean;
}

/** The signed-in frame: sidebar from the plugins' menus, top bar, and the page. */
export default function Layout(props: ParentProps) {
  const api = useApi();
  const { t } = useI18n();
  const shell = useShell();
  const toast = useToast();
  const location = useLocation();
  // The signed-in pages' own strings load with this chunk, not with the sign-in page.
  shell.i18n.addMessages('en', operatorMessages.en);
  shell.i18n.addMessages('zh-CN', operatorMessages['zh-CN']);
  const registry = createPluginRegistry(api);
  const messages = createMessageCenter(api);
  const [navOpen, setNavOpen] = createSignal(false);
  const isAdmin = () => shell.me()?.user.role === 'admin';

  void registry.refresh().catch(() => undefined);
  void messages.refresh();
  const events = connectEvents(
    api.socketUrl('/ws/events'),
    (event) => {
      if (
        event.type === 'plugin.enabled' ||
        event.type === 'plugin.disabled' ||
        event.type === 'plugin.failed'
      ) {
        void registry.refresh().catch(() => undefined);
        if (event.type === 'plugin.failed') {
          toast({
            kind: 'error',
            title: t('plugins.failed', { name: event.payload.id, message: event.payload.message ?? '' }),
          });
        }
      } else if (event.type === 'panel.notification') {
        // Every message counts on the bell; high and urgent ones also interrupt with a toast.
        messages.received(event);
        const p = event.payload;
        if (p.priority === 'urgent' || p.priority === 'high') {
          toast({
            title: p.title,
            body: p.body,
            kind: 'warning',
            timeout: p.priority === 'urgent' ? 0 : 8000,
          });
        }
      }
    },
    () => {
      void registry.refresh().catch(() => undefined);
      void messages.refresh();
    },
  );
  onCleanup(() => events.close());
  // Close the mobile menu after navigating.
  createEffect(() => {
    location.pathname;
    setNavOpen(false);
  });

  const core = (): CoreLink[] => [{ href: '/', label: t('nav.dashboard'), icon: 'layout-dashboard' }];
  const admin = (): CoreLink[] =>
    [
      { href: '/admin/plugins', label: t('nav.plugins'), icon: 'puzzle', admin: true },
      { href: '/sites', label: t('nav.sites'), icon: 'globe' },
      { href: '/runs', label: t('nav.runs'), icon: 'list-checks' },
      { href: '/admin/users', label: t('nav.users'), icon: 'users', admin: true },
      { href: '/account/tokens', label: t('nav.tokens'), icon: 'key-round' },
      { href: '/admin/audit', label: t('nav.audit'), icon: 'scroll-text', admin: true },
      { href: '/settings', label: t('nav.settings'), icon: 'settings', admin: true },
    ].filter((l) => !l.admin || isAdmin());

  const groupLabel = (group: string) => {
    const key = `group.${group}`;
    const label = t(key);
    return label === key ? group.charAt(0).toUpperCase() + group.slice(1) : label;
  };

  // Floating widgets of plugins (e.g. an assistant), each isolated by its own boundary.
  const floating = () =>
    registry
      .ready()
      .flatMap((p) => (p.module.slots?.floating ? [{ id: p.id, load: p.module.slots.floating }] : []));

  return (
    <RegistryContext.Provider value={registry}>
      <a class="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <div class="shell" classList={{ 'nav-open': navOpen() }}>
        <TopBar onToggleNav={() => setNavOpen(!navOpen())} navOpen={navOpen()} messages={messages} />
        <nav class="sidebar" id="sidebar" aria-label={t('nav.main')}>
          <ul class="nav-list">
            <For each={core()}>{(link) => <NavLink {...link} />}</For>
          </ul>
          <For each={registry.menu()}>
            {(group) => (
              <section class="nav-group" aria-label={groupLabel(group.group)}>
                <h2 class="nav-heading">{groupLabel(group.group)}</h2>
                <ul class="nav-list">
                  <For each={group.items}>
                    {(item) => (
                      <NavLink
                        href={item.href}
                        label={item.label}
                        icon={item.icon ?? 'puzzle'}
                        plugin={item.plugin}
                      />
                    )}
                  </For>
                </ul>
              </section>
            )}
          </For>
          <section class="nav-group" aria-label={t('nav.admin')}>
            <h2 class="nav-heading">{t('nav.admin')}</h2>
            <ul class="nav-list">
              <For each={admin()}>{(link) => <NavLink {...link} />}</For>
            </ul>
          </section>
        </nav>
        <main id="main" class="main" tabIndex={-1}>
          <ErrorBoundary
            fallback={(error, reset) => (
              <ErrorState
                title={t('plugin.pageFailed')}
                error={error}
                onRetry={reset}
                retryLabel={t('ui.retry')}
              />
            )}
          >
            <Suspense fallback={<p class="wc-loading">{t('ui.loading')}</p>}>{props.children}</Suspense>
          </ErrorBoundary>
        </main>
      </div>
      <For each={floating()}>
        {(w) => {
          const Widget = lazyOf(w.load);
          return (
            <ErrorBoundary fallback={null}>
              <Suspense>
                <Dynamic component={Widget} />
              </Suspense>
            </ErrorBoundary>
          );
        }}
      </For>
    </RegistryContext.Provider>
  );
}

function NavLink(props: { href: string; label: string; icon: string; plugin?: string }) {
  return (
    <li>
      <A
        href={props.href}
        end={props.href === '/'}
        class="nav-link"
        activeClass="active"
        data-plugin={props.plugin}
      >
        <Icon name={props.icon} />
        <span>{props.label}</span>
      </A>
    </li>
  );
}

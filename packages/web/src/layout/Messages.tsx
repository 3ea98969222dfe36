import { A } from '@solidjs/router';
import { Icon, useI18n, useToast } from '@webcasa/ui';
import { createSignal, createUniqueId, For, onCleanup, Show } from 'solid-js';
import type { MessageCenter } from '../state/messages.js';

/**
 * The top bar's bell: the unread count, and a panel with the newest messages
 * (priority, plugin, link, time) to mark read, mark all read or dismiss.
 * Escape or a click outside closes it and focus returns to the bell.
 */
export function MessagesBell(props: { center: MessageCenter }) {
  const i18n = useI18n();
  const { t } = i18n;
  const toast = useToast();
  const panelId = createUniqueId();
  const [open, setOpen] = createSignal(false);
  let button!: HTMLButtonElement;
  let wrap!: HTMLDivElement;
  let panel: HTMLElement | undefined;
  const c = props.center;

  const close = (restore = true) => {
    setOpen(false);
    if (restore) button.focus();
  };
  const toggle = () => {
    if (open()) return close();
    setOpen(true);
    void c.refresh();
    queueMicrotask(() => panel?.focus());
  };
  const onOutside = (e: MouseEvent) => {
    if (open() && !wrap.contains(e.target as Node)) close(false);
  };
  // Escape closes it wherever focus is (a button that vanished leaves focus on the page).
  const onEscape = (e: KeyboardEvent) => {
    if (!open() || e.key !== 'Escape') return;
    const active = document.activeElement;
    if (active && active !== document.body && !wrap.contains(active)) return;
    e.preventDefault();
    close();
  };
  document.addEventListener('mousedown', onOutside);
  document.addEventListener('keydown', onEscape);
  onCleanup(() => {
    document.removeEventListener('mousedown', onOutside);
    document.removeEventListener('keydown', onEscape);
  });
  /** After a button in the panel goes away, keep focus inside the panel. */
  const keepFocus = () =>
    queueMicrotask(() => {
      if (!panel?.contains(document.activeElement)) panel?.focus();
    });

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      keepFocus();
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  };

  const label = () => (c.unread() > 0 ? t('messages.bellUnread', { count: c.unread() }) : t('messages.bell'));

  return (
    <div class="messages" ref={wrap}>
      <button
        ref={button}
        type="button"
        class="wc-icon-btn bell"
        aria-label={label()}
        aria-expanded={open()}
        aria-controls={panelId}
        data-testid="messages-bell"
        onClick={toggle}
      >
        <Icon name="bell" />
        <Show when={c.unread() > 0}>
          <span class="bell-count" data-testid="messages-unread" aria-hidden="true">
            {c.unread() > 99 ? '99+' : c.unread()}
          </span>
        </Show>
      </button>
      <Show when={open()}>
        <section
          ref={panel}
          id={panelId}
          class="messages-panel"
          aria-label={t('messages.title')}
          tabIndex={-1}
        >
          <div class="messages-head">
            <h2>{t('messages.title')}</h2>
            <button
              type="button"
              class="wc-btn wc-btn-small"
              disabled={c.unread() === 0}
              onClick={() => void act(c.markAllRead)}
            >
              {t('messages.readAll')}
            </button>
          </div>
          <Show when={!c.error()} fallback={<p class="wc-error wc-pad">{t('common.loadFailed')}</p>}>
            <Show
              when={c.items().length > 0}
              fallback={<p class="wc-muted wc-pad">{c.loaded() ? t('messages.none') : t('ui.loading')}</p>}
            >
              <ul class="messages-list">
                <For each={c.items()}>
                  {(m) => (
                    <li
                      class="message"
                      classList={{ unread: m.readAt === null }}
                      data-message={m.id}
                      data-priority={m.priority}
                    >
                      <div class="message-meta">
                        <span class={`wc-badge wc-badge-${m.priority}`}>
                          {t(`messages.priority.${m.priority}`)}
                        </span>
                        <code>{m.plugin}</code>
                        <time class="wc-muted" dateTime={new Date(m.createdAt).toISOString()}>
                          {i18n.formatTime(m.createdAt)}
                        </time>
                        <Show when={m.readAt === null}>
                          <span class="wc-sr-only">{t('messages.unread')}</span>
                        </Show>
                      </div>
                      <strong class="message-title">{m.title}</strong>
                      <Show when={m.body}>
                        <p class="message-body">{m.body}</p>
                      </Show>
                      <div class="message-actions">
                        <Show when={m.link}>
                          {(link) => (
                            <A
                              href={link()}
                              class="wc-btn wc-btn-small"
                              onClick={() => {
                                if (m.readAt === null) void act(() => c.markRead(m.id));
                                close(false);
                              }}
                            >
                              {t('messages.open')}
                            </A>
                          )}
                        </Show>
                        <Show when={m.readAt === null}>
                          <button
                            type="button"
                            class="wc-btn wc-btn-small"
                            aria-label={t('messages.markReadOf', { title: m.title })}
                            onClick={() => void act(() => c.markRead(m.id))}
                          >
                            {t('messages.markRead')}
                          </button>
                        </Show>
                        <button
                          type="button"
                          class="wc-btn wc-btn-small"
                          aria-label={t('messages.dismissOf', { title: m.title })}
                          onClick={() => void act(() => c.dismiss(m.id))}
                        >
                          {t('messages.dismiss')}
                        </button>
                      </div>
                    </li>
                  )}
                </For>
              </ul>
              <Show when={c.next() !== null}>
                <button type="button" class="wc-btn wc-btn-small more" onClick={() => void act(c.more)}>
                  {t('messages.more')}
                </button>
              </Show>
            </Show>
          </Show>
        </section>
      </Show>
    </div>
  );
}

import { A, useNavigate } from '@solidjs/router';
import { Icon, type Locale, useI18n, useMode, useShell, useTheme } from '@webcasa/ui';
import { createSignal, createUniqueId, For, onCleanup, Show } from 'solid-js';
import { LOCALES } from '../i18n.js';
import type { MessageCenter } from '../state/messages.js';
import { useSession } from '../state/session.js';
import { MessagesBell } from './Messages.js';

/** Panel name, the global switches (mode, language, theme) and the account menu. */
export function TopBar(props: { onToggleNav: () => void; navOpen: boolean; messages: MessageCenter }) {
  const { t, locale, setLocale } = useI18n();
  const mode = useMode();
  const theme = useTheme();
  const shell = useShell();
  const langId = createUniqueId();
  return (
    <header class="topbar">
      <button
        type="button"
        class="wc-icon-btn nav-toggle"
        aria-label={t('nav.openMenu')}
        aria-expanded={props.navOpen}
        aria-controls="sidebar"
        onClick={() => props.onToggleNav()}
      >
        <Icon name="menu" />
      </button>
      <A href="/" class="brand">
        Web.Casa
      </A>
      <div class="topbar-tools">
        <fieldset class="segmented" title={t('top.modeHint')}>
          <legend class="wc-sr-only">{t('top.mode')}</legend>
          <button
            type="button"
            aria-pressed={mode.mode() === 'novice'}
            onClick={() => mode.setMode('novice')}
            data-mode="novice"
          >
            <Icon name="graduation-cap" size={16} />
            <span>{t('top.novice')}</span>
          </button>
          <button
            type="button"
            aria-pressed={mode.mode() === 'advanced'}
            onClick={() => mode.setMode('advanced')}
            data-mode="advanced"
          >
            <Icon name="wrench" size={16} />
            <span>{t('top.advanced')}</span>
          </button>
        </fieldset>
        <label class="lang" for={langId}>
          <Icon name="languages" size={16} />
          <select
            id={langId}
            class="wc-input"
            aria-label={t('top.language')}
            onChange={(e) => setLocale(e.currentTarget.value as Locale)}
          >
            <For each={LOCALES}>
              {(l) => (
                <option value={l.id} selected={locale() === l.id}>
                  {l.label}
                </option>
              )}
            </For>
          </select>
        </label>
        <button
          type="button"
          class="wc-icon-btn"
          aria-label={`${t('top.theme')}: ${theme.theme() === 'dark' ? t('top.dark') : t('top.light')}`}
          aria-pressed={theme.theme() === 'dark'}
          onClick={() => theme.setTheme(theme.theme() === 'dark' ? 'light' : 'dark')}
          data-testid="theme-toggle"
        >
          <Icon name={theme.theme() === 'dark' ? 'moon' : 'sun'} />
        </button>
        <MessagesBell center={props.messages} />
        <Show when={shell.me()}>{(me) => <UserMenu name={me().user.username} role={me().user.role} />}</Show>
      </div>
    </header>
  );
}

/** A menu button: arrows move between items, Escape closes and returns focus, Tab leaves. */
function UserMenu(props: { name: string; role: string }) {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = createSignal(false);
  const menuId = createUniqueId();
  let button!: HTMLButtonElement;
  let menu: HTMLDivElement | undefined;
  const items = () => [...(menu?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];

  const openMenu = (focus: 'first' | 'last') => {
    setOpen(true);
    queueMicrotask(() => {
      const list = items();
      (focus === 'first' ? list[0] : list[list.length - 1])?.focus();
    });
  };
  const close = (restore = true) => {
    setOpen(false);
    if (restore) button.focus();
  };
  const onOutside = (e: MouseEvent) => {
    if (open() && !button.parentElement?.contains(e.target as Node)) close(false);
  };
  document.addEventListener('mousedown', onOutside);
  onCleanup(() => document.removeEventListener('mousedown', onOutside));

  const onMenuKey = (e: KeyboardEvent) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown') list[(i + 1) % list.length]?.focus();
    else if (e.key === 'ArrowUp') list[(i - 1 + list.length) % list.length]?.focus();
    else if (e.key === 'Home') list[0]?.focus();
    else if (e.key === 'End') list[list.length - 1]?.focus();
    else if (e.key === 'Escape') close();
    else if (e.key === 'Tab') close(false);
    else return;
    if (e.key !== 'Tab') e.preventDefault();
  };
  const go = (href: string) => {
    close(false);
    navigate(href);
  };

  return (
    <div class="user-menu">
      <button
        ref={button}
        type="button"
        class="wc-btn user-button"
        aria-haspopup="menu"
        aria-expanded={open()}
        aria-controls={menuId}
        aria-label={t('top.userMenu', { name: props.name })}
        onClick={() => (open() ? close() : openMenu('first'))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            openMenu(e.key === 'ArrowDown' ? 'first' : 'last');
          }
        }}
      >
        <Icon name="circle-user" />
        <span>{props.name}</span>
        <Icon name="chevron-down" size={14} />
      </button>
      <Show when={open()}>
        <div
          ref={menu}
          id={menuId}
          class="menu"
          role="menu"
          aria-label={props.name}
          tabIndex={-1}
          onKeyDown={onMenuKey}
        >
          <p class="menu-note">{t('top.signedInAs', { name: props.name, role: t(`role.${props.role}`) })}</p>
          <button type="button" role="menuitem" tabIndex={-1} onClick={() => go('/account/tokens')}>
            <Icon name="key-round" size={16} />
            {t('nav.tokens')}
          </button>
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            data-testid="sign-out"
            onClick={() => {
              close(false);
              void session.signOut();
            }}
          >
            <Icon name="log-out" size={16} />
            {t('top.signOut')}
          </button>
        </div>
      </Show>
    </div>
  );
}

import '@xterm/xterm/css/xterm.css';
import { useApi, useShell } from '@webcasa/ui';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { useFilesI18n } from '../i18n.js';

interface Tab {
  id: number;
  title: string;
}

/** One terminal session in a tab: xterm + fit addon over `WS /ws/plugins/files/terminal`. */
function Session(props: { socketUrl: string; visible: boolean; onStatus: (s: string) => void }) {
  const { t } = useFilesI18n();
  let socket: WebSocket | undefined;
  let term: XTerm | undefined;
  let fit: FitAddon | undefined;
  let observer: ResizeObserver | undefined;
  onCleanup(() => {
    observer?.disconnect();
    socket?.close();
    term?.dispose();
  });
  const send = (m: unknown) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(m));
  const start = (el: HTMLDivElement) => {
    term = new XTerm({ cursorBlink: true, convertEol: false, fontFamily: 'monospace', fontSize: 14 });
    fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    socket = new WebSocket(`${props.socketUrl}?cols=${term.cols}&rows=${term.rows}`);
    socket.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.type === 'output') term?.write(m.data);
      else if (m.type === 'ready') props.onStatus(t('files.term.connected'));
      else if (m.type === 'exit') props.onStatus(t('files.term.ended', { reason: m.reason }));
      else if (m.type === 'error') term?.write(`\r\n\x1b[31m${m.message}\x1b[0m\r\n`);
    };
    socket.onclose = () => props.onStatus(t('files.term.closed'));
    term.onData((data) => send({ type: 'input', data }));
    term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
    // Copy: the selection is copied with Ctrl+Shift+C; paste with Ctrl+Shift+V (or the browser's own).
    term.attachCustomKeyEventHandler((e) => {
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.key.toLowerCase() === 'c') {
        const text = term?.getSelection();
        if (text) navigator.clipboard?.writeText(text);
        return false;
      }
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.key.toLowerCase() === 'v') {
        navigator.clipboard?.readText().then((text) => term?.paste(text));
        return false;
      }
      return true;
    });
    observer = new ResizeObserver(() => fit?.fit());
    observer.observe(el);
    term.focus();
  };
  return (
    <div
      data-testid="terminal"
      style={{
        display: props.visible ? 'block' : 'none',
        height: '60vh',
        background: '#000',
        padding: '4px',
      }}
      ref={(el) => queueMicrotask(() => start(el))}
    />
  );
}

export default function TerminalPage() {
  const { t } = useFilesI18n();
  const api = useApi().plugin('files');
  const shell = useShell();
  const isAdmin = () => shell.me()?.user.role === 'admin';
  let next = 1;
  // Tab objects stay the same while their status changes, so <For> keeps each session alive.
  const [tabs, setTabs] = createSignal<Tab[]>([{ id: next++, title: t('files.term.shell', { n: 1 }) }]);
  const [statuses, setStatuses] = createSignal<Record<number, string>>({});
  const [active, setActive] = createSignal(1);
  const add = () => {
    const id = next++;
    setTabs((all) => [...all, { id, title: t('files.term.shell', { n: id }) }]);
    setActive(id);
  };
  const close = (id: number) => {
    setTabs((all) => all.filter((x) => x.id !== id));
    if (active() === id) setActive(tabs()[0]?.id ?? 0);
  };
  return (
    <div class="page">
      <h1>{t('files.term.title')}</h1>
      <Show when={isAdmin()} fallback={<p>{t('files.term.adminOnly')}</p>}>
        <div role="tablist" style={{ display: 'flex', gap: '0.25rem', 'margin-bottom': '0.5rem' }}>
          <For each={tabs()}>
            {(tab) => (
              <span style={{ display: 'inline-flex' }}>
                <button
                  type="button"
                  role="tab"
                  class={active() === tab.id ? 'wc-btn wc-btn-primary' : 'wc-btn'}
                  aria-selected={active() === tab.id}
                  onClick={() => setActive(tab.id)}
                >
                  {tab.title} <small>({statuses()[tab.id] ?? t('files.term.connecting')})</small>
                </button>
                <button
                  type="button"
                  class="wc-btn"
                  aria-label={t('files.term.close', { name: tab.title })}
                  onClick={() => close(tab.id)}
                >
                  ×
                </button>
              </span>
            )}
          </For>
          <button type="button" class="wc-btn" data-testid="terminal-new-tab" onClick={add}>
            {t('files.term.new')}
          </button>
        </div>
        <For each={tabs()}>
          {(tab) => (
            <Session
              socketUrl={api.socketUrl('/terminal')}
              visible={active() === tab.id}
              onStatus={(status) => setStatuses((all) => ({ ...all, [tab.id]: status }))}
            />
          )}
        </For>
      </Show>
    </div>
  );
}

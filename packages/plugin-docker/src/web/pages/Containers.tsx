import '@xterm/xterm/css/xterm.css';
import '../docker.css';
import { Dialog, useShell, useToast } from '@webcasa/ui';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { CreateContainer } from '../CreateContainer.js';
import { bytes, DockerPage, docker, errorText, useDockerI18n } from '../lib.js';

interface Row {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  stack: string | null;
}

export default function Containers() {
  const { t } = useDockerI18n();
  return (
    <DockerPage title={t('docker.containers')} advanced>
      <ContainerList />
    </DockerPage>
  );
}

function ContainerList() {
  const { t } = useDockerI18n();
  const api = docker();
  const toast = useToast();
  const shell = useShell();
  const [rows, { refetch }] = createResource(() => api.get<{ items: Row[] }>('/containers'));
  const [panel, setPanel] = createSignal<{ kind: 'logs' | 'stats' | 'exec'; row: Row } | null>(null);
  const [creating, setCreating] = createSignal(false);
  const act = async (row: Row, action: string) => {
    try {
      if (action === 'remove') await api.delete(`/containers/${row.id}?force=1`);
      else await api.post(`/containers/${row.id}/${action}`, {});
      await refetch();
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };
  return (
    <>
      <p>
        <button type="button" class="wc-btn wc-btn-primary" onClick={() => setCreating(true)}>
          {t('docker.createContainer')}
        </button>
      </p>
      <Show when={creating()}>
        <CreateContainer
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            toast({ kind: 'success', title: t('docker.created', { name }) });
            void refetch();
          }}
        />
      </Show>
      <table class="wc-table" aria-label={t('docker.containers')}>
        <thead>
          <tr>
            <th>{t('docker.name')}</th>
            <th>Image</th>
            <th>{t('docker.state')}</th>
            <th>{t('docker.actions')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={rows()?.items}>
            {(row) => (
              <tr data-testid={`container-${row.name}`}>
                <td>
                  {row.name}
                  <Show when={row.stack}>
                    <small> ({row.stack})</small>
                  </Show>
                </td>
                <td>{row.image}</td>
                <td title={row.status}>{row.state}</td>
                <td style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}>
                  <For each={row.state === 'running' ? ['stop', 'restart', 'kill'] : ['start', 'remove']}>
                    {(a) => (
                      <button type="button" class="wc-btn" onClick={() => act(row, a)}>
                        {a}
                      </button>
                    )}
                  </For>
                  <button type="button" class="wc-btn" onClick={() => setPanel({ kind: 'logs', row })}>
                    {t('docker.logs')}
                  </button>
                  <Show when={row.state === 'running'}>
                    <button type="button" class="wc-btn" onClick={() => setPanel({ kind: 'stats', row })}>
                      {t('docker.stats')}
                    </button>
                    <Show when={shell.me()?.user.role === 'admin'}>
                      <button type="button" class="wc-btn" onClick={() => setPanel({ kind: 'exec', row })}>
                        {t('docker.terminal')}
                      </button>
                    </Show>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={panel()}>
        {(p) => (
          <Dialog
            title={`${p().row.name}: ${t(`docker.${p().kind === 'exec' ? 'terminal' : p().kind}`)}`}
            onClose={() => setPanel(null)}
            class="docker-xwide-dialog"
          >
            <div>
              <Show when={p().kind === 'logs'}>
                <Logs url={api.socketUrl(`/containers/${p().row.id}/logs`)} />
              </Show>
              <Show when={p().kind === 'stats'}>
                <Stats url={api.socketUrl(`/containers/${p().row.id}/stats`)} />
              </Show>
              <Show when={p().kind === 'exec'}>
                <Exec url={api.socketUrl(`/containers/${p().row.id}/exec`)} />
              </Show>
            </div>
          </Dialog>
        )}
      </Show>
    </>
  );
}

function Logs(props: { url: string }) {
  const [lines, setLines] = createSignal<string[]>([]);
  const [timestamps, setTimestamps] = createSignal(true);
  let socket: WebSocket | undefined;
  let box: HTMLPreElement | undefined;
  const open = () => {
    socket?.close();
    setLines([]);
    socket = new WebSocket(`${props.url}?follow=1&tail=300&timestamps=${timestamps() ? 1 : 0}`);
    socket.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.type === 'log') {
        setLines((l) => [...l.slice(-4999), m.text]);
        queueMicrotask(() => {
          if (box) box.scrollTop = box.scrollHeight;
        });
      }
    };
  };
  open();
  onCleanup(() => socket?.close());
  return (
    <>
      <label>
        <input
          type="checkbox"
          checked={timestamps()}
          onChange={(e) => {
            setTimestamps(e.currentTarget.checked);
            open();
          }}
        />{' '}
        timestamps
      </label>
      <pre
        ref={box}
        data-testid="container-logs"
        style={{ height: '50vh', overflow: 'auto', 'font-size': '0.8rem' }}
      >
        {lines().join('\n')}
      </pre>
    </>
  );
}

function Stats(props: { url: string }) {
  const [s, setS] = createSignal<{
    cpu: number;
    memBytes: number;
    memLimit: number;
    netRx: number;
    netTx: number;
    pids: number;
  } | null>(null);
  const socket = new WebSocket(props.url);
  socket.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.type === 'stats') setS(m.stats);
  };
  onCleanup(() => socket.close());
  return (
    <Show when={s()} fallback={<p>…</p>}>
      {(v) => (
        <dl>
          <dt>CPU</dt>
          <dd>{v().cpu.toFixed(1)} %</dd>
          <dt>Memory</dt>
          <dd>
            {bytes(v().memBytes)} / {bytes(v().memLimit)}
          </dd>
          <dt>Network</dt>
          <dd>
            ↓ {bytes(v().netRx)} ↑ {bytes(v().netTx)}
          </dd>
          <dt>Processes</dt>
          <dd>{v().pids}</dd>
        </dl>
      )}
    </Show>
  );
}

/** A shell in the container: xterm over `WS …/exec`. */
function Exec(props: { url: string }) {
  let term: Terminal | undefined;
  let socket: WebSocket | undefined;
  let observer: ResizeObserver | undefined;
  onCleanup(() => {
    observer?.disconnect();
    socket?.close();
    term?.dispose();
  });
  const start = (el: HTMLDivElement) => {
    term = new Terminal({ cursorBlink: true, fontFamily: 'monospace', fontSize: 14 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    socket = new WebSocket(`${props.url}?cols=${term.cols}&rows=${term.rows}`);
    const send = (m: unknown) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(m));
    socket.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.type === 'output') term?.write(m.data);
      else if (m.type === 'exit') term?.write(`\r\n[exited ${m.code ?? ''}]\r\n`);
      else if (m.type === 'error') term?.write(`\r\n\x1b[31m${m.message}\x1b[0m\r\n`);
    };
    term.onData((data) => send({ type: 'input', data }));
    term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
    observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    term.focus();
  };
  return (
    <div
      data-testid="exec-terminal"
      style={{ height: '50vh', background: '#000' }}
      ref={(el) => queueMicrotask(() => start(el))}
    />
  );
}

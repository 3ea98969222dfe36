import { useApi } from '@webcasa/ui';
import { type Accessor, createSignal, onCleanup } from 'solid-js';
import type { Sample as ServerSample } from '../types.js';

export type Sample = ServerSample & { metrics: Record<string, number> };

export interface RuleView {
  id: number;
  name: string;
  metric: string;
  comparison: '>' | '>=' | '<' | '<=';
  threshold: number;
  durationSeconds: number;
  hysteresis: number;
  enabled: boolean;
  state: 'ok' | 'pending' | 'firing';
  lastValue: number | null;
}

export const monitorApi = () => useApi().plugin('monitor');

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export const formatRate = (n: number) => `${formatBytes(n)}/s`;
export const pct = (n: number) => `${n.toFixed(1)} %`;

/** Uptime in the largest two units, worded by `t` (see the `monitor.unit.*` strings). */
export function formatUptime(
  seconds: number,
  t: (
    key: 'monitor.unit.daysHours' | 'monitor.unit.hoursMinutes' | 'monitor.unit.min',
    params: Record<string, unknown>,
  ) => string,
): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return t('monitor.unit.daysHours', { d, h });
  return h > 0 ? t('monitor.unit.hoursMinutes', { h, m }) : t('monitor.unit.min', { n: m });
}

/**
 * The latest sample, live: the WebSocket `/ws/plugins/monitor/live` (the server samples fast
 * only while a socket is open), with a fallback to polling `/current` every 5 s if it cannot connect.
 */
export function useLiveSample(options: { live: boolean } = { live: true }): {
  sample: Accessor<Sample | undefined>;
  error: Accessor<unknown>;
  connected: Accessor<boolean>;
} {
  const api = monitorApi();
  const [sample, setSample] = createSignal<Sample>();
  const [error, setError] = createSignal<unknown>();
  const [connected, setConnected] = createSignal(false);
  let socket: WebSocket | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const load = () =>
    api.get<Sample>('/current').then(
      (s) => {
        setSample(s);
        setError(undefined);
      },
      (e: unknown) => setError(e),
    );
  const startPolling = () => {
    if (!poll) poll = setInterval(load, 5000);
  };
  void load();
  if (options.live && typeof WebSocket !== 'undefined') {
    socket = new WebSocket(api.socketUrl('/live'));
    socket.onopen = () => setConnected(true);
    socket.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { type: string; sample: Sample };
      if (msg.type === 'sample') setSample(msg.sample);
    };
    socket.onclose = () => {
      setConnected(false);
      if (!closed) startPolling();
    };
  } else startPolling();
  onCleanup(() => {
    closed = true;
    socket?.close();
    if (poll) clearInterval(poll);
  });
  return { sample, error, connected };
}

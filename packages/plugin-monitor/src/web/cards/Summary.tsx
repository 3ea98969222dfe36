import { A } from '@solidjs/router';
import { Loading } from '@webcasa/ui';
import { Show } from 'solid-js';
import { Meter } from '../components.js';
import { formatUptime, useLiveSample } from '../lib.js';

/** The dashboard card: CPU, memory and root disk, refreshed every 5 s (no live socket). */
export default function Summary() {
  const { sample, error } = useLiveSample({ live: false });
  const root = () => sample()?.disks.find((d) => d.mount === '/') ?? sample()?.disks[0];
  return (
    <Show when={sample()} fallback={error() ? <p>Metrics unavailable.</p> : <Loading />}>
      {(s) => (
        <div data-testid="monitor-card">
          <Meter label="CPU" value={s().cpu.total} />
          <Meter label="Memory" value={s().memory.usedPct} />
          <Show when={root()}>{(d) => <Meter label={`Disk ${d().mount}`} value={d().usedPct} />}</Show>
          <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem', margin: '0.5rem 0 0' }}>
            Load {s().load.l1.toFixed(2)} · up {formatUptime(s().uptime)} · <A href="/p/monitor">Details</A>
          </p>
        </div>
      )}
    </Show>
  );
}

import { A } from '@solidjs/router';
import { Loading } from '@webcasa/ui';
import { Show } from 'solid-js';
import { Meter } from '../components.js';
import { useMonitorI18n } from '../i18n.js';
import { formatUptime, useLiveSample } from '../lib.js';

/** The dashboard card: CPU, memory and root disk, refreshed every 5 s (no live socket). */
export default function Summary() {
  const { t } = useMonitorI18n();
  const { sample, error } = useLiveSample({ live: false });
  const root = () => sample()?.disks.find((d) => d.mount === '/') ?? sample()?.disks[0];
  return (
    <Show when={sample()} fallback={error() ? <p>{t('monitor.card.unavailable')}</p> : <Loading />}>
      {(s) => (
        <div data-testid="monitor-card">
          <Meter label={t('monitor.cpu')} value={s().cpu.total} />
          <Meter label={t('monitor.memory')} value={s().memory.usedPct} />
          <Show when={root()}>
            {(d) => <Meter label={t('monitor.disk', { mount: d().mount })} value={d().usedPct} />}
          </Show>
          <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem', margin: '0.5rem 0 0' }}>
            {t('monitor.card.load', { load: s().load.l1.toFixed(2), uptime: formatUptime(s().uptime, t) })} ·{' '}
            <A href="/p/monitor">{t('monitor.card.details')}</A>
          </p>
        </div>
      )}
    </Show>
  );
}

import { ErrorState, Loading } from '@webcasa/ui';
import { For, Show } from 'solid-js';
import { Meter, Section, Tabs } from '../components.js';
import { useMonitorI18n } from '../i18n.js';
import { formatBytes, formatRate, formatUptime, useLiveSample } from '../lib.js';

export default function Overview() {
  const { t } = useMonitorI18n();
  const { sample, error, connected } = useLiveSample();
  const of = (used: number, total: number) =>
    t('monitor.of', { used: formatBytes(used), total: formatBytes(total) });
  return (
    <div class="page">
      <h1>{t('monitor.title')}</h1>
      <Tabs />
      <Show
        when={sample()}
        fallback={error() ? <ErrorState title={t('monitor.readError')} error={error()} /> : <Loading />}
      >
        {(s) => (
          <div
            style={{
              display: 'grid',
              gap: '1rem',
              'grid-template-columns': 'repeat(auto-fill, minmax(20rem, 1fr))',
            }}
          >
            <Section title={t('monitor.cpu')}>
              <Meter label={t('monitor.total')} value={s().cpu.total} />
              <For each={s().cpu.cores}>
                {(v, i) => <Meter label={t('monitor.core', { n: i() })} value={v} />}
              </For>
              <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem' }}>
                {t('monitor.loadLine', {
                  l1: s().load.l1.toFixed(2),
                  l5: s().load.l5.toFixed(2),
                  l15: s().load.l15.toFixed(2),
                  uptime: formatUptime(s().uptime, t),
                })}{' '}
                · {connected() ? t('monitor.live') : t('monitor.polling')}
              </p>
            </Section>
            <Section title={t('monitor.memory')}>
              <Meter
                label={t('monitor.memory')}
                value={s().memory.usedPct}
                detail={of(s().memory.used, s().memory.total)}
              />
              <Meter
                label={t('monitor.swap')}
                value={s().memory.swapPct}
                detail={of(s().memory.swapUsed, s().memory.swapTotal)}
              />
            </Section>
            <Section title={t('monitor.disks')}>
              <For each={s().disks}>
                {(d) => <Meter label={d.mount} value={d.usedPct} detail={of(d.used, d.size)} />}
              </For>
              <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                <caption class="sr-only">{t('monitor.diskIo')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('monitor.device')}</th>
                    <th scope="col">{t('monitor.read')}</th>
                    <th scope="col">{t('monitor.write')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={s().diskIo}>
                    {(d) => (
                      <tr>
                        <td>{d.device}</td>
                        <td>{formatRate(d.readBps)}</td>
                        <td>{formatRate(d.writeBps)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Section>
            <Section title={t('monitor.network')}>
              <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                <thead>
                  <tr>
                    <th scope="col">{t('monitor.interface')}</th>
                    <th scope="col">{t('monitor.in')}</th>
                    <th scope="col">{t('monitor.out')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={s().network}>
                    {(n) => (
                      <tr>
                        <td>{n.iface}</td>
                        <td>{formatRate(n.rxBps)}</td>
                        <td>{formatRate(n.txBps)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Section>
            <Show when={s().processes.length > 0}>
              <Section title={t('monitor.processes')}>
                <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                  <thead>
                    <tr>
                      <th scope="col">{t('monitor.pid')}</th>
                      <th scope="col">{t('monitor.name')}</th>
                      <th scope="col">{t('monitor.cpu')}</th>
                      <th scope="col">{t('monitor.memory')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={s().processes}>
                      {(p) => (
                        <tr>
                          <td>{p.pid}</td>
                          <td>{p.name}</td>
                          <td>{p.cpu.toFixed(1)} %</td>
                          <td>{p.memPct.toFixed(1)} %</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </Section>
            </Show>
            <Show when={s().containers.length > 0}>
              <Section title={t('monitor.containers')}>
                <For each={s().containers}>
                  {(c) => (
                    <Meter
                      label={c.name}
                      value={c.cpu}
                      detail={t('monitor.containerMemory', { size: formatBytes(c.memBytes) })}
                    />
                  )}
                </For>
              </Section>
            </Show>
          </div>
        )}
      </Show>
    </div>
  );
}

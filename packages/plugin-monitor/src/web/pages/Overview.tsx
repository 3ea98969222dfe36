import { ErrorState, Loading } from '@webcasa/ui';
import { For, Show } from 'solid-js';
import { Meter, Section, Tabs } from '../components.js';
import { formatBytes, formatRate, formatUptime, useLiveSample } from '../lib.js';

export default function Overview() {
  const { sample, error, connected } = useLiveSample();
  return (
    <div class="page">
      <h1>Monitor</h1>
      <Tabs />
      <Show
        when={sample()}
        fallback={
          error() ? <ErrorState title="Could not read the machine's metrics" error={error()} /> : <Loading />
        }
      >
        {(s) => (
          <div
            style={{
              display: 'grid',
              gap: '1rem',
              'grid-template-columns': 'repeat(auto-fill, minmax(20rem, 1fr))',
            }}
          >
            <Section title="CPU">
              <Meter label="Total" value={s().cpu.total} />
              <For each={s().cpu.cores}>{(v, i) => <Meter label={`Core ${i()}`} value={v} />}</For>
              <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem' }}>
                Load {s().load.l1.toFixed(2)} / {s().load.l5.toFixed(2)} / {s().load.l15.toFixed(2)} · up{' '}
                {formatUptime(s().uptime)} · {connected() ? 'live' : 'refreshing every 5 s'}
              </p>
            </Section>
            <Section title="Memory">
              <Meter
                label="Memory"
                value={s().memory.usedPct}
                detail={`${formatBytes(s().memory.used)} of ${formatBytes(s().memory.total)}`}
              />
              <Meter
                label="Swap"
                value={s().memory.swapPct}
                detail={`${formatBytes(s().memory.swapUsed)} of ${formatBytes(s().memory.swapTotal)}`}
              />
            </Section>
            <Section title="Disks">
              <For each={s().disks}>
                {(d) => (
                  <Meter
                    label={d.mount}
                    value={d.usedPct}
                    detail={`${formatBytes(d.used)} of ${formatBytes(d.size)}`}
                  />
                )}
              </For>
              <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                <caption class="sr-only">Disk I/O</caption>
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Read</th>
                    <th scope="col">Write</th>
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
            <Section title="Network">
              <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                <thead>
                  <tr>
                    <th scope="col">Interface</th>
                    <th scope="col">In</th>
                    <th scope="col">Out</th>
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
              <Section title="Top processes">
                <table class="wc-table" style={{ width: '100%', 'font-size': '0.875rem' }}>
                  <thead>
                    <tr>
                      <th scope="col">PID</th>
                      <th scope="col">Name</th>
                      <th scope="col">CPU</th>
                      <th scope="col">Memory</th>
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
              <Section title="Containers">
                <For each={s().containers}>
                  {(c) => <Meter label={c.name} value={c.cpu} detail={`${formatBytes(c.memBytes)} memory`} />}
                </For>
              </Section>
            </Show>
          </div>
        )}
      </Show>
    </div>
  );
}

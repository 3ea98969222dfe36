import type { MetricSource, Sample } from './types.js';

type Reading = Omit<Sample, 'ts' | 'containers'>;

/** A controllable source for tests and the benchmark: set `cpu` (and more) before each sample. */
export interface FakeSource extends MetricSource {
  cpu: number;
  memPct: number;
  calls: number;
}

/** A fake machine with two cores, one disk and one network interface whose CPU and memory you set. */
export function createFakeSource(initial: { cpu?: number; memPct?: number } = {}): FakeSource {
  const source: FakeSource = {
    cpu: initial.cpu ?? 10,
    memPct: initial.memPct ?? 40,
    calls: 0,
    async sample({ processes }): Promise<Reading> {
      source.calls++;
      const total = 8 * 2 ** 30;
      return {
        cpu: { total: source.cpu, cores: [source.cpu, source.cpu] },
        memory: {
          total,
          used: (total * source.memPct) / 100,
          usedPct: source.memPct,
          swapTotal: 2 ** 30,
          swapUsed: 0,
          swapPct: 0,
        },
        load: { l1: source.cpu / 50, l5: source.cpu / 60, l15: source.cpu / 70 },
        uptime: 1000 + source.calls,
        disks: [{ mount: '/', fs: '/dev/vda1', size: 100 * 2 ** 30, used: 40 * 2 ** 30, usedPct: 40 }],
        diskIo: [{ device: 'vda', readBps: 1000, writeBps: 2000 }],
        network: [{ iface: 'eth0', rxBps: 5000, txBps: 3000 }],
        processes: processes > 0 ? [{ pid: 1, name: 'init', cpu: 0.1, memPct: 0.2 }].slice(0, processes) : [],
      };
    },
  };
  return source;
}

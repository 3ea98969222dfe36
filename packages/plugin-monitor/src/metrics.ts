import type { Metrics, Sample } from './types.js';

const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/**
 * Flattens a sample into named metrics, the names used by history and alert rules:
 * `cpu.total`, `cpu.core.<n>`, `mem.used_pct`, `mem.used`, `swap.used_pct`, `load.1|5|15`,
 * `uptime`, `disk.<mount>.used_pct`, `diskio.<dev>.read|write` (bytes/s),
 * `net.<iface>.rx|tx` (bytes/s), `container.<name>.cpu|mem`.
 */
export function flatten(sample: Omit<Sample, 'ts'>): Metrics {
  const m: Metrics = {
    'cpu.total': round(sample.cpu.total),
    'mem.used_pct': round(sample.memory.usedPct),
    'mem.used': sample.memory.used,
    'swap.used_pct': round(sample.memory.swapPct),
    'load.1': round(sample.load.l1),
    'load.5': round(sample.load.l5),
    'load.15': round(sample.load.l15),
    uptime: Math.round(sample.uptime),
  };
  sample.cpu.cores.forEach((v, i) => {
    m[`cpu.core.${i}`] = round(v);
  });
  for (const d of sample.disks) m[`disk.${d.mount}.used_pct`] = round(d.usedPct);
  for (const d of sample.diskIo) {
    m[`diskio.${d.device}.read`] = Math.round(d.readBps);
    m[`diskio.${d.device}.write`] = Math.round(d.writeBps);
  }
  for (const n of sample.network) {
    m[`net.${n.iface}.rx`] = Math.round(n.rxBps);
    m[`net.${n.iface}.tx`] = Math.round(n.txBps);
  }
  for (const c of sample.containers) {
    m[`container.${c.name}.cpu`] = round(c.cpu);
    m[`container.${c.name}.mem`] = c.memBytes;
  }
  return m;
}

/** Averages several metric maps key by key (a key missing in some maps averages over those that have it). */
export function average(list: Metrics[]): Metrics {
  const sum: Record<string, number> = {};
  const count: Record<string, number> = {};
  for (const m of list) {
    for (const [k, v] of Object.entries(m)) {
      if (!Number.isFinite(v)) continue;
      sum[k] = (sum[k] ?? 0) + v;
      count[k] = (count[k] ?? 0) + 1;
    }
  }
  const out: Metrics = {};
  for (const k of Object.keys(sum)) out[k] = round((sum[k] ?? 0) / (count[k] ?? 1), 3);
  return out;
}

/**
 * The lowest and highest value per key over several rows, each row an average with optional
 * own extremes (`min`/`max`; a key missing there counts as its average).
 */
export function peaks(rows: { avg: Metrics; min?: Metrics; max?: Metrics }[]): {
  min: Metrics;
  max: Metrics;
} {
  const min: Metrics = {};
  const max: Metrics = {};
  for (const r of rows) {
    for (const [k, v] of Object.entries(r.avg)) {
      if (!Number.isFinite(v)) continue;
      const lo = r.min?.[k] ?? v;
      const hi = r.max?.[k] ?? v;
      if (!(k in min) || lo < (min[k] as number)) min[k] = lo;
      if (!(k in max) || hi > (max[k] as number)) max[k] = hi;
    }
  }
  return { min, max };
}

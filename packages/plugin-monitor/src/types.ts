/** One reading of the machine. Plain data (epoch ms, numbers, strings), safe to send anywhere. */
export interface Sample {
  /** Epoch milliseconds when the sample was taken. */
  ts: number;
  cpu: { total: number; cores: number[] };
  memory: {
    total: number;
    used: number;
    usedPct: number;
    swapTotal: number;
    swapUsed: number;
    swapPct: number;
  };
  load: { l1: number; l5: number; l15: number };
  uptime: number;
  disks: { mount: string; fs: string; size: number; used: number; usedPct: number }[];
  diskIo: { device: string; readBps: number; writeBps: number }[];
  network: { iface: string; rxBps: number; txBps: number }[];
  processes: { pid: number; name: string; cpu: number; memPct: number }[];
  containers: { id: string; name: string; cpu: number; memBytes: number }[];
}

/** Where samples come from: the real machine (systeminformation) or a fake in tests. */
export interface MetricSource {
  /** Take one sample; `options.processes` is how many top processes to include (0: none). */
  sample(options: { processes: number }): Promise<Omit<Sample, 'ts' | 'containers'>>;
}

/** What the optional `docker` plugin may provide; only `containerStats` is used, when it exists. */
export interface DockerStatsService {
  containerStats(): Promise<{ id: string; name: string; cpu: number; memBytes: number }[]>;
}

/** A flat map of metric name → value, the unit of history and of alert rules. */
export type Metrics = Record<string, number>;

export type Comparison = '>' | '>=' | '<' | '<=';

export interface Rule {
  id: number;
  name: string;
  metric: string;
  comparison: Comparison;
  threshold: number;
  /** Seconds the condition must hold before the alert fires. */
  durationSeconds: number;
  /** How far back past the threshold the value must go before the alert resolves. */
  hysteresis: number;
  enabled: boolean;
}

export type Range = '1h' | '24h' | '7d' | '30d';
export const RANGES: Record<Range, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

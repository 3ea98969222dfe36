/** CPU and memory figures from one engine stats sample (`GET /containers/<id>/stats`). */

export interface StatsSample {
  /** CPU use in percent of one core (200 = two cores busy), as `docker stats` shows it. */
  cpu: number;
  memBytes: number;
  memLimit: number;
  memPct: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
  time: number;
}

// The parts of the engine's stats JSON this module reads.
export interface EngineStats {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
  pids_stats?: { current?: number };
}

export function computeStats(s: EngineStats): StatsSample {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpu = cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  // Like `docker stats`: the page cache the kernel can drop is not counted as used.
  const st = s.memory_stats?.stats ?? {};
  const cache = st.inactive_file ?? st.total_inactive_file ?? st.cache ?? 0;
  const memBytes = Math.max(0, (s.memory_stats?.usage ?? 0) - cache);
  const memLimit = s.memory_stats?.limit ?? 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes ?? 0;
    netTx += n.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const b of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (b.op?.toLowerCase() === 'read') blockRead += b.value ?? 0;
    if (b.op?.toLowerCase() === 'write') blockWrite += b.value ?? 0;
  }
  return {
    cpu: Math.round(cpu * 100) / 100,
    memBytes,
    memLimit,
    memPct: memLimit > 0 ? Math.round((memBytes / memLimit) * 10_000) / 100 : 0,
    netRx,
    netTx,
    blockRead,
    blockWrite,
    pids: s.pids_stats?.current ?? 0,
    time: s.read ? Date.parse(s.read) || Date.now() : Date.now(),
  };
}

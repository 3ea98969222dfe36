import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import si from 'systeminformation';
import type { MetricSource, Sample } from './types.js';

type Reading = Omit<Sample, 'ts' | 'containers'>;

/** Devices worth reporting in /proc/diskstats: whole disks and md/dm devices, not partitions or loops. */
const DISK_RE = /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+|md\d+|dm-\d+)$/;

async function readDiskstats(): Promise<Map<string, { read: number; write: number }> | null> {
  try {
    const text = await readFile('/proc/diskstats', 'utf8');
    const out = new Map<string, { read: number; write: number }>();
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      const name = f[2];
      if (!name || !DISK_RE.test(name)) continue;
      // Fields 6 and 10 are sectors read and written; a sector is always 512 bytes here.
      out.set(name, { read: Number(f[5]) * 512, write: Number(f[9]) * 512 });
    }
    return out;
  } catch {
    return null;
  }
}

type CpuTimes = { busy: number; total: number }[];

/** `/proc/stat` CPU lines: the machine total first, then each core. */
async function readProcStat(): Promise<CpuTimes | null> {
  try {
    const text = await readFile('/proc/stat', 'utf8');
    const out: CpuTimes = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('cpu')) continue;
      const [, ...fields] = line.trim().split(/\s+/);
      // user nice system idle iowait irq softirq steal (guest is already inside user)
      const v = fields.slice(0, 8).map(Number);
      const total = v.reduce((a, b) => a + b, 0);
      const idle = (v[3] ?? 0) + (v[4] ?? 0);
      out.push({ busy: total - idle, total });
    }
    return out.length > 0 ? out : null;
  } catch {
    return null;
  }
}

/** `/proc/net/dev`: received and sent bytes per interface. */
async function readNetDev(): Promise<Map<string, { rx: number; tx: number }> | null> {
  try {
    const text = await readFile('/proc/net/dev', 'utf8');
    const out = new Map<string, { rx: number; tx: number }>();
    for (const line of text.split('\n').slice(2)) {
      const i = line.indexOf(':');
      if (i === -1) continue;
      const f = line
        .slice(i + 1)
        .trim()
        .split(/\s+/);
      out.set(line.slice(0, i).trim(), { rx: Number(f[0]), tx: Number(f[8]) });
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The real source: systeminformation for CPU, memory, file systems, network and processes,
 * `/proc/diskstats` for per-device I/O on Linux (systeminformation only reports a machine total).
 * On Linux, CPU and network counters come straight from `/proc/stat` and `/proc/net/dev`
 * (systeminformation runs `cat` in a shell for those, which costs more than the rest of the
 * sample). Rates and CPU % are computed from the previous call: the first sample reports
 * rates of 0 and CPU since boot.
 */
export function createSystemSource(): MetricSource {
  let lastDisk: { at: number; stats: Map<string, { read: number; write: number }> } | null = null;
  let lastNet: { at: number; stats: Map<string, { rx: number; tx: number }> } | null = null;
  // Listing processes runs `ps`; it is the costliest part, so it is refreshed at most every 30 s.
  let procCache: { at: number; list: Reading['processes'] } = { at: -Infinity, list: [] };
  // File system usage runs `df`; usage changes slowly, so it is refreshed at most every 30 s too.
  let fsCache: { at: number; list: Reading['disks'] } = { at: -Infinity, list: [] };

  async function disks(): Promise<Reading['disks']> {
    const now = Date.now();
    if (now - fsCache.at < 30_000) return fsCache.list;
    const fs = await si.fsSize().catch(() => []);
    const list = fs.map((d) => ({
      mount: d.mount,
      fs: d.fs,
      size: d.size,
      used: d.used,
      usedPct: d.use ?? 0,
    }));
    fsCache = { at: now, list };
    return list;
  }

  async function diskIo(): Promise<Reading['diskIo']> {
    const now = Date.now();
    const stats = await readDiskstats();
    if (!stats) {
      const fs = await si.fsStats().catch(() => null);
      return fs ? [{ device: 'all', readBps: fs.rx_sec ?? 0, writeBps: fs.wx_sec ?? 0 }] : [];
    }
    const prev = lastDisk;
    lastDisk = { at: now, stats };
    const secs = prev ? Math.max((now - prev.at) / 1000, 0.001) : 0;
    return [...stats].map(([device, s]) => {
      const p = prev?.stats.get(device);
      return {
        device,
        readBps: p && secs ? Math.max(0, (s.read - p.read) / secs) : 0,
        writeBps: p && secs ? Math.max(0, (s.write - p.write) / secs) : 0,
      };
    });
  }

  let lastCpu: CpuTimes | null = null;
  async function cpu(): Promise<Reading['cpu']> {
    const times = await readProcStat();
    if (!times) {
      const load = await si.currentLoad();
      return { total: load.currentLoad, cores: load.cpus.map((c) => c.load) };
    }
    const prev = lastCpu;
    lastCpu = times;
    const pctOf = (i: number) => {
      const now = times[i];
      const before = prev?.[i];
      if (!now) return 0;
      const busy = now.busy - (before?.busy ?? 0);
      const total = now.total - (before?.total ?? 0);
      return total > 0 ? Math.min(100, Math.max(0, (busy / total) * 100)) : 0;
    };
    return { total: pctOf(0), cores: times.slice(1).map((_, i) => pctOf(i + 1)) };
  }

  async function network(): Promise<Reading['network']> {
    const now = Date.now();
    const stats =
      (await readNetDev()) ??
      new Map(
        (await si.networkStats('*').catch(() => [])).map((n) => [
          n.iface,
          { rx: n.rx_bytes, tx: n.tx_bytes },
        ]),
      );
    const prev = lastNet;
    lastNet = { at: now, stats };
    const secs = prev ? Math.max((now - prev.at) / 1000, 0.001) : 0;
    return [...stats].map(([iface, s]) => {
      const p = prev?.stats.get(iface);
      return {
        iface,
        rxBps: p && secs ? Math.max(0, (s.rx - p.rx) / secs) : 0,
        txBps: p && secs ? Math.max(0, (s.tx - p.tx) / secs) : 0,
      };
    });
  }

  async function processes(count: number): Promise<Reading['processes']> {
    if (count <= 0) return [];
    const now = Date.now();
    if (now - procCache.at < 30_000 && procCache.list.length >= count) return procCache.list.slice(0, count);
    const data = await si.processes().catch(() => null);
    const list = (data?.list ?? [])
      .sort((a, b) => b.cpu - a.cpu)
      .slice(0, 50)
      .map((p) => ({ pid: p.pid, name: p.name, cpu: p.cpu, memPct: p.mem }));
    procCache = { at: now, list };
    return list.slice(0, count);
  }

  return {
    async sample({ processes: count }) {
      const [cpuNow, mem, fs, io, net, procs] = await Promise.all([
        cpu(),
        si.mem(),
        disks(),
        diskIo(),
        network(),
        processes(count),
      ]);
      const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
      const used = mem.active;
      return {
        cpu: cpuNow,
        memory: {
          total: mem.total,
          used,
          usedPct: mem.total ? (used / mem.total) * 100 : 0,
          swapTotal: mem.swaptotal,
          swapUsed: mem.swapused,
          swapPct: mem.swaptotal ? (mem.swapused / mem.swaptotal) * 100 : 0,
        },
        load: { l1, l5, l15 },
        uptime: si.time().uptime,
        disks: fs,
        diskIo: io,
        network: net,
        processes: procs,
      };
    },
  };
}

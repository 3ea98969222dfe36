/**
 * What process isolation costs, as ratios against the same plugin in the panel's process,
 * measured in one panel, in alternating rounds so machine noise hits both:
 *
 * 1. request overhead: sequential `GET /api/plugins/<id>/hello` latency (p50, p99) and
 *    throughput with 16 connections, isolated vs in-process;
 * 2. a streamed 1 MiB response: MB/s isolated vs in-process;
 * 3. event round trip: the panel emits `fixture.ping`, the plugin answers `fixture.pong`
 *    (p50, p99);
 * 4. memory: RSS and PSS of the isolated plugin's process, and its setup time.
 *
 * The fixture is test/fixtures/isolation/fixture-plugin.js, the same code in both modes. From
 * sources the child runs under tsx, which adds about 40 MB and most of the start time; a built
 * panel (dist) starts plain Node.
 *
 *   npx tsx bench/isolation.bench.ts            # ~30 s
 *   npx tsx bench/isolation.bench.ts --quick    # smoke test
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Panel, startPanel } from '../src/server.js';
import { median } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, '..', 'test', 'fixtures', 'isolation');
const IN_PROCESS = 'iso-inproc';
const ISOLATED = 'iso-process';
const PASSWORD = 'bench-password-long-enough';

export interface IsolationBenchOptions {
  rounds: number;
  /** Sequential requests per round and mode. */
  requests: number;
  /** Requests per round and mode with `connections` in flight. */
  loadRequests: number;
  connections: number;
  /** Streamed 1 MiB responses per round and mode. */
  bodies: number;
  /** Event round trips per round and mode. */
  events: number;
}

interface Latency {
  p50: number;
  p99: number;
}

export interface IsolationBenchResult {
  request: { inProcess: Latency; isolated: Latency; p50Ratio: number; p99Ratio: number };
  throughput: { inProcessRps: number; isolatedRps: number; ratio: number };
  stream: { inProcessMBs: number; isolatedMBs: number; ratio: number };
  event: { inProcess: Latency; isolated: Latency };
  memory: { rssMB: number; pssMB: number | null; panelRssMB: number; setupMs: number | null };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round3(percentile(sorted, 0.5)), p99: round3(percentile(sorted, 0.99)) };
}

function procKb(pid: number, file: 'status' | 'smaps_rollup', key: string): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/${file}`, 'utf8').match(
      new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm'),
    );
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function startBenchPanel(): Promise<{ panel: Panel; token: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-iso-bench-'));
  const panel = await startPanel({
    dataDir,
    port: 0,
    stdoutLogs: false,
    logLevel: 'fatal',
    onSetupToken: () => {},
    pluginDirs: [join(FIXTURES, 'inproc'), join(FIXTURES, 'process')],
  });
  const user = await panel.auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
  const { token } = await panel.auth.createToken(user.id, { name: 'bench' });
  for (const id of [IN_PROCESS, ISOLATED]) {
    const info = panel.manager.info(id);
    if (info?.status !== 'running')
      throw new Error(`bench plugin ${id} is not running: ${JSON.stringify(info?.error)}`);
  }
  return { panel, token, dataDir };
}

export async function runIsolationBench(options: IsolationBenchOptions): Promise<IsolationBenchResult> {
  const { panel, token, dataDir } = await startBenchPanel();
  const headers = { authorization: `Bearer ${token}` };
  // Node's fetch keeps connections alive per origin.
  const get = async (path: string): Promise<Response> => {
    const res = await fetch(panel.url + path, { headers });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res;
  };

  try {
    // Warm both paths (JIT, prepared statements, connections).
    for (const id of [IN_PROCESS, ISOLATED]) {
      for (let i = 0; i < 200; i++) await (await get(`/api/plugins/${id}/hello`)).arrayBuffer();
      await (await get(`/api/plugins/${id}/big?bytes=${1024 * 1024}`)).arrayBuffer();
    }

    const seq: Record<string, number[]> = { [IN_PROCESS]: [], [ISOLATED]: [] };
    const rps: Record<string, number[]> = { [IN_PROCESS]: [], [ISOLATED]: [] };
    const mbs: Record<string, number[]> = { [IN_PROCESS]: [], [ISOLATED]: [] };
    const evt: Record<string, number[]> = { [IN_PROCESS]: [], [ISOLATED]: [] };
    const ratios = { p50: [] as number[], p99: [] as number[], rps: [] as number[], mbs: [] as number[] };

    for (let round = 0; round < options.rounds; round++) {
      // Alternate which mode goes first, so drift does not favour one.
      const order = round % 2 === 0 ? [IN_PROCESS, ISOLATED] : [ISOLATED, IN_PROCESS];
      const roundSeq: Record<string, number[]> = {};
      const roundRps: Record<string, number> = {};
      const roundMbs: Record<string, number> = {};
      for (const id of order) {
        const samples: number[] = [];
        for (let i = 0; i < options.requests; i++) {
          const began = performance.now();
          await (await get(`/api/plugins/${id}/hello`)).arrayBuffer();
          samples.push(performance.now() - began);
        }
        roundSeq[id] = samples;
        seq[id]!.push(...samples);

        let next = 0;
        const began = performance.now();
        await Promise.all(
          Array.from({ length: options.connections }, async () => {
            while (next < options.loadRequests) {
              next++;
              await (await get(`/api/plugins/${id}/hello`)).arrayBuffer();
            }
          }),
        );
        roundRps[id] = options.loadRequests / ((performance.now() - began) / 1000);
        rps[id]!.push(roundRps[id]!);

        const bodyBegan = performance.now();
        for (let i = 0; i < options.bodies; i++) {
          const bytes = await (await get(`/api/plugins/${id}/big?bytes=${1024 * 1024}`)).arrayBuffer();
          if (bytes.byteLength !== 1024 * 1024) throw new Error(`short body: ${bytes.byteLength}`);
        }
        roundMbs[id] = options.bodies / ((performance.now() - bodyBegan) / 1000);
        mbs[id]!.push(roundMbs[id]!);

        // Event round trip: the ping reaches both fixtures; wait for this one's pong.
        for (let i = 0; i < options.events; i++) {
          const began = performance.now();
          await new Promise<void>((resolve) => {
            const off = panel.bus.on('fixture.pong' as never, (e) => {
              if (e.source === id) {
                off();
                resolve();
              }
            });
            panel.bus.emit('fixture.ping' as never, { n: i } as never);
          });
          evt[id]!.push(performance.now() - began);
        }
      }
      const a = latency(roundSeq[IN_PROCESS]!);
      const b = latency(roundSeq[ISOLATED]!);
      ratios.p50.push(b.p50 / a.p50);
      ratios.p99.push(b.p99 / a.p99);
      ratios.rps.push(roundRps[ISOLATED]! / roundRps[IN_PROCESS]!);
      ratios.mbs.push(roundMbs[ISOLATED]! / roundMbs[IN_PROCESS]!);
    }

    const info = panel.manager.info(ISOLATED)!;
    const pid = info.pid!;
    return {
      request: {
        inProcess: latency(seq[IN_PROCESS]!),
        isolated: latency(seq[ISOLATED]!),
        p50Ratio: round3(median(ratios.p50)),
        p99Ratio: round3(median(ratios.p99)),
      },
      throughput: {
        inProcessRps: Math.round(median(rps[IN_PROCESS]!)),
        isolatedRps: Math.round(median(rps[ISOLATED]!)),
        ratio: round3(median(ratios.rps)),
      },
      stream: {
        inProcessMBs: Math.round(median(mbs[IN_PROCESS]!)),
        isolatedMBs: Math.round(median(mbs[ISOLATED]!)),
        ratio: round3(median(ratios.mbs)),
      },
      event: { inProcess: latency(evt[IN_PROCESS]!), isolated: latency(evt[ISOLATED]!) },
      memory: {
        rssMB: mb(procKb(pid, 'status', 'VmRSS') ?? info.memoryRss ?? 0),
        pssMB: (() => {
          const pss = procKb(pid, 'smaps_rollup', 'Pss');
          return pss === null ? null : mb(pss);
        })(),
        panelRssMB: mb(process.memoryUsage().rss),
        setupMs: info.timings.setupMs,
      },
    };
  } finally {
    await panel.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const options: IsolationBenchOptions = quick
    ? { rounds: 1, requests: 200, loadRequests: 400, connections: 16, bodies: 5, events: 100 }
    : { rounds: 5, requests: 1000, loadRequests: 4000, connections: 16, bodies: 30, events: 1000 };
  const r = await runIsolationBench(options);
  const lines = [
    {
      bench: 'core-isolation-request',
      summary: 'sequential GET hello, isolated vs in-process (ms; ratio = median of per-round ratios)',
      inProcessP50Ms: r.request.inProcess.p50,
      inProcessP99Ms: r.request.inProcess.p99,
      isolatedP50Ms: r.request.isolated.p50,
      isolatedP99Ms: r.request.isolated.p99,
      p50Ratio: r.request.p50Ratio,
      p99Ratio: r.request.p99Ratio,
    },
    {
      bench: 'core-isolation-throughput',
      summary: `GET hello with ${options.connections} connections, isolated vs in-process`,
      ...r.throughput,
    },
    { bench: 'core-isolation-stream', summary: 'streamed 1 MiB responses, MB/s', ...r.stream },
    {
      bench: 'core-isolation-event',
      summary: 'panel emits fixture.ping → plugin emits fixture.pong → panel handler (ms)',
      inProcessP50Ms: r.event.inProcess.p50,
      inProcessP99Ms: r.event.inProcess.p99,
      isolatedP50Ms: r.event.isolated.p50,
      isolatedP99Ms: r.event.isolated.p99,
    },
    { bench: 'core-isolation-memory', summary: 'the isolated plugin process', ...r.memory },
  ];
  for (const line of lines) console.log(JSON.stringify({ ...line, ...options }));
  const outDir = join(here, '.results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'isolation.json'),
    `${JSON.stringify({ package: '@webcasa/core', at: new Date().toISOString(), options, result: r, lines }, null, 2)}\n`,
  );
}

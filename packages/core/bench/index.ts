/**
 * Benchmarks of the host kernel, each a ratio against a baseline measured in
 * the same run (never absolute timings as pass/fail):
 *
 * 1. authenticated GET /api/plugins requests/s vs a bare Hono hello route (goal ≥ 0.7)
 * 2. cold start to the first 200 (fresh child processes) vs a bare Hono server
 * 3. RSS after that first 200 vs the bare Hono server
 *
 * Prints JSON lines, then a summary table; writes bench/.results/latest.json.
 *
 *   npx tsx bench/index.ts                 # everything (~1.5 min on 2 cores)
 *   npx tsx bench/index.ts --only=http     # or --only=cold
 *   npx tsx bench/index.ts --quick         # 1 round / 1 repeat, shorter runs (smoke test)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mb, runColdStartBench } from './cold-start.js';
import { runFanoutBench } from './fanout.bench.js';
import { round3, runHttpBench } from './http.js';
import { runIsolationBench } from './isolation.bench.js';
import { LoadGenerator } from './load.js';
import { runLogsBench } from './logs.bench.js';
import { runMetricsBench } from './metrics.bench.js';
import { Cleanup } from './util.js';

// Bench panels never start the machine's caddy on ports 80/443 (the sites bench runs its own).
process.env.WEBCASA_CADDY ??= 'off';

const args = new Set(process.argv.slice(2));
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);
const quick = args.has('--quick');
const HTTP_GOAL = 0.7;

const cleanup = new Cleanup();
const lines: Record<string, unknown>[] = [];
/** Rows of the summary: the same shape in every package's .results/latest.json (see tooling/scripts/bench-report.mjs). */
const rows: {
  bench: string;
  metric: string;
  value: string;
  baseline: string;
  ratio: number | null;
  goal: string;
}[] = [];

function emit(line: Record<string, unknown>): void {
  lines.push(line);
  console.log(JSON.stringify(line));
}

let finishing = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await cleanup.run();
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void finish(130);
  });
}

async function main(): Promise<void> {
  const meta = { node: process.version, cores: availableParallelism(), quick, only: only ?? 'all' };
  emit({ bench: 'core', ...meta });

  if (!only || only === 'http') {
    const load = new LoadGenerator();
    cleanup.add(() => load.close());
    const options = {
      rounds: quick ? 1 : 3,
      connections: 32,
      warmupMs: quick ? 300 : 1000,
      durationMs: quick ? 1000 : 3000,
      health: true,
    };
    const http = await runHttpBench(load, options, cleanup, emit);
    const [base, same, plugins, health] = http.cases;
    emit({
      bench: 'core-http',
      summary: 'GET /api/plugins (bearer) vs bare hono /hello, medians of alternating rounds',
      baselineRps: Math.round(base!.median.rps),
      samePayloadRps: Math.round(same!.median.rps),
      pluginsRps: Math.round(plugins!.median.rps),
      healthRps: health ? Math.round(health.median.rps) : undefined,
      ratio: round3(http.ratio),
      samePayloadRatio: round3(http.samePayloadRatio),
      healthRatio: http.healthRatio === undefined ? undefined : round3(http.healthRatio),
      perRoundRatios: plugins!.rounds.map((r, i) => round3(r.rps / base!.rounds[i]!.rps)),
      goal: HTTP_GOAL,
      pass: http.ratio >= HTTP_GOAL,
      ...options,
      bodyBytes: http.bodyBytes,
    });
    for (const c of http.cases) {
      rows.push({
        bench: 'core-http',
        metric: `${c.case} req/s (p50 ${c.median.p50Ms.toFixed(2)} ms, p99 ${c.median.p99Ms.toFixed(2)} ms)`,
        value: String(Math.round(c.median.rps)),
        baseline: c === base ? '-' : String(Math.round(base!.median.rps)),
        ratio: c === base ? null : round3(c.median.rps / base!.median.rps),
        goal: c === plugins ? `>= ${HTTP_GOAL}` : '',
      });
    }
    rows.push({
      bench: 'core-http',
      metric: `${plugins!.case} vs ${same!.case}: the panel's own overhead`,
      value: String(Math.round(plugins!.median.rps)),
      baseline: String(Math.round(same!.median.rps)),
      ratio: round3(http.samePayloadRatio),
      goal: '',
    });
    await load.close();
  }

  if (!only || only === 'metrics') {
    const m = await runMetricsBench({
      rounds: quick ? 3 : 9,
      calls: quick ? 1e6 : 3e6,
      requests: quick ? 3e3 : 1e4,
    });
    emit({ bench: 'core-metrics', ...m });
    rows.push({
      bench: 'core-metrics',
      metric: 'recordRequest ns/call vs a plain call (lower is better)',
      value: m.recordNs.toFixed(1),
      baseline: m.baselineCallNs.toFixed(1),
      ratio: round3(m.recordRatio),
      goal: '',
    });
    rows.push({
      bench: 'core-metrics',
      metric: 'route with the metrics middleware, req/s vs without',
      value: String(Math.round(m.withMiddlewareRps)),
      baseline: String(Math.round(m.withoutMiddlewareRps)),
      ratio: round3(m.middlewareRatio),
      goal: '>= 0.95',
    });
  }

  if (!only || only === 'fanout') {
    const f = await runFanoutBench(
      { clients: 200, messages: quick ? 20 : 100, rounds: quick ? 1 : 3 },
      cleanup,
    );
    emit({ bench: 'core-fanout', ...f });
    rows.push({
      bench: 'core-fanout',
      metric: `notify → ${f.clients} /ws/events clients, deliveries/s vs bare ws broadcast`,
      value: String(f.panelDeliveriesPerSec),
      baseline: String(f.baselineDeliveriesPerSec),
      ratio: f.ratio,
      goal: '',
    });
  }

  if (!only || only === 'isolation') {
    const r = await runIsolationBench(
      quick
        ? { rounds: 1, requests: 200, loadRequests: 400, connections: 16, bodies: 5, events: 100 }
        : { rounds: 5, requests: 1000, loadRequests: 4000, connections: 16, bodies: 30, events: 1000 },
    );
    emit({ bench: 'core-isolation', ...r });
    rows.push(
      {
        bench: 'core-isolation',
        metric: `request p50 ms isolated vs in-process (p99 ${r.request.isolated.p99} vs ${r.request.inProcess.p99})`,
        value: String(r.request.isolated.p50),
        baseline: String(r.request.inProcess.p50),
        ratio: round3(r.request.p50Ratio),
        goal: '',
      },
      {
        bench: 'core-isolation',
        metric: 'req/s with 16 connections, isolated vs in-process',
        value: String(Math.round(r.throughput.isolatedRps)),
        baseline: String(Math.round(r.throughput.inProcessRps)),
        ratio: round3(r.throughput.ratio),
        goal: '',
      },
      {
        bench: 'core-isolation',
        metric: `event round trip p50 ms isolated vs in-process; RSS of one isolated plugin ${r.memory.rssMB} MB`,
        value: String(r.event.isolated.p50),
        baseline: String(r.event.inProcess.p50),
        ratio: null,
        goal: '',
      },
    );
  }

  if (!only || only === 'logs') {
    await runLogsBench({ sizeMb: quick ? 50 : 200, repeats: quick ? 1 : 3 }, cleanup, emit);
  }

  if (!only || only === 'cold') {
    const cold = await runColdStartBench({ repeats: quick ? 1 : 3, generated: 200 }, cleanup, emit);
    const [base, ...panels] = cold.scenarios;
    if (cold.distributionNote) emit({ bench: 'core-cold-start', note: cold.distributionNote });
    for (const s of panels) {
      const m = s.median;
      const b = base!.median;
      emit({
        bench: 'core-cold-start',
        summary: `${s.name} vs bare hono, median of ${s.samples.length}`,
        firstOkMs: Math.round(m.firstOkMs),
        baselineFirstOkMs: Math.round(b.firstOkMs),
        ratio: round3(m.firstOkMs / b.firstOkMs),
        wallMs: Math.round(m.wallMs),
        baselineWallMs: Math.round(b.wallMs),
        wallRatio: round3(m.wallMs / b.wallMs),
        importMs: Math.round(m.importMs),
        startPanelMs: Math.round(m.startMs),
        startedAtMs: Math.round(m.startedAtMs),
        running: m.running,
      });
      emit({
        bench: 'core-rss',
        summary: `${s.name} vs bare hono, after the first 200, median of ${s.samples.length}`,
        rssMB: mb(m.rss),
        baselineRssMB: mb(b.rss),
        ratio: round3(m.rss / b.rss),
        rssDeltaMB: mb(m.rss - b.rss),
        rssAfterGcMB: m.rssAfterGc === undefined ? undefined : mb(m.rssAfterGc),
        baselineRssAfterGcMB: b.rssAfterGc === undefined ? undefined : mb(b.rssAfterGc),
        ratioAfterGc: m.rssAfterGc && b.rssAfterGc ? round3(m.rssAfterGc / b.rssAfterGc) : undefined,
        heapAfterGcMB: m.heapAfterGc === undefined ? undefined : mb(m.heapAfterGc),
        baselineHeapAfterGcMB: b.heapAfterGc === undefined ? undefined : mb(b.heapAfterGc),
      });
    }
    for (const s of cold.scenarios) {
      const isBase = s === base;
      const b = base!.median;
      rows.push({
        bench: 'core-cold-start',
        metric: `${s.name}: process start → first 200 (ms; import ${Math.round(s.median.importMs)}, startPanel ${Math.round(s.median.startMs)})`,
        value: String(Math.round(s.median.firstOkMs)),
        baseline: isBase ? '-' : String(Math.round(b.firstOkMs)),
        ratio: isBase ? null : round3(s.median.firstOkMs / b.firstOkMs),
        goal: '',
      });
    }
    for (const s of cold.scenarios) {
      const isBase = s === base;
      const b = base!.median;
      const after = s.median.rssAfterGc ?? s.median.rss;
      const baseAfter = b.rssAfterGc ?? b.rss;
      rows.push({
        bench: 'core-rss',
        metric: `${s.name}: RSS after first 200${s.median.rssAfterGc === undefined ? '' : ' + GC'} (MB; before GC ${mb(s.median.rss)}${isBase ? '' : `; +${mb(after - baseAfter)} over baseline`})`,
        value: String(mb(after)),
        baseline: isBase ? '-' : String(mb(baseAfter)),
        ratio: isBase ? null : round3(after / baseAfter),
        goal: '',
      });
    }
  }

  if (!only || only === 'sites') {
    const { runSitesBench } = await import('./sites.bench.js');
    const sitesRows = await runSitesBench({ sizes: [1, 100, 1000], rounds: quick ? 2 : 5 });
    if (!sitesRows) {
      emit({ bench: 'core-sites', note: 'caddy not found (apt-get install -y caddy); skipped' });
    }
    for (const r of sitesRows ?? []) {
      emit({ bench: 'core-sites', summary: 'generate + apply the Caddy config, medians', ...r });
      rows.push({
        bench: 'core-sites',
        metric: `${r.sites} site(s): DB → config → POST /load (ms; generate ${r.generateMs}, one edit ${r.editMs}; baseline: Caddy's load alone)`,
        value: String(r.applyMs),
        baseline: String(r.loadMs),
        ratio: round3(r.applyMs / r.loadMs),
        goal: '',
      });
    }
  }

  printTable();
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '.results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify({ package: '@webcasa/core', at: new Date().toISOString(), ...meta, rows, lines }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
}

function printTable(): void {
  const header = ['bench', 'metric', 'value', 'baseline', 'ratio', 'goal'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.value,
    r.baseline,
    r.ratio === null ? '-' : r.ratio.toFixed(3),
    r.goal,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const b of body) console.log(fmt(b));
}

try {
  await main();
  await finish(0);
} catch (error) {
  console.error(error);
  await finish(1);
}

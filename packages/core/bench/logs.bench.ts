/**
 * Log reading on a generated 200 MB JSON-lines file: the last 200 lines (tail), a substring
 * search, a regex search and a level filter that each scan the whole file. Each is compared in
 * the same run with a baseline: time against `tail -n 200` / `grep -c` in a child process, and
 * peak RSS as a delta over the idle RSS of the fresh process that does the read (sampled every
 * 5 ms during the read; idle measured after a GC).
 *
 *   npx tsx bench/logs.bench.ts             # 200 MB, 3 repeats
 *   npx tsx bench/logs.bench.ts --quick     # 50 MB, 1 repeat (smoke test)
 *
 * Prints JSON lines; the temp dir is removed at the end (and on SIGINT/SIGTERM).
 * `runLogsBench` is exported for bench/index.ts.
 */
import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type LogQuery, readLog } from '../src/logging/reader.js';
import { DEFAULT_REGEX_TIME_LIMIT_MS } from '../src/logging/regex-guard.js';
import { Cleanup, median } from './util.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const LEVELS = ['debug', 'info', 'info', 'info', 'warn', 'error'] as const;

/** Write about `bytes` of pino-like lines; a few rare ones near the start make searches scan it all. */
function generate(file: string, bytes: number): { lines: number; bytes: number } {
  const fd = openSync(file, 'w');
  const t0 = Date.parse('2024-05-01T00:00:00.000Z');
  let n = 0;
  let written = 0;
  try {
    // Bounded: stops once `bytes` are written (each block adds ~1 MB).
    while (written < bytes) {
      const parts: string[] = [];
      for (let i = 0; i < 4000; i++, n++) {
        const rare = n === 1000 || n === 2000;
        parts.push(
          JSON.stringify({
            level: n === 1500 ? 'fatal' : LEVELS[n % LEVELS.length],
            time: new Date(t0 + n * 10).toISOString(),
            plugin: 'bench',
            container: `web-${n % 17}`,
            req: { method: 'GET', url: `/api/items/${n % 997}`, status: n % 50 === 0 ? 500 : 200 },
            msg: rare ? `needle-rare event number ${n}` : `handled request ${n} in ${n % 300} ms`,
          }),
        );
      }
      written += writeSync(fd, `${parts.join('\n')}\n`);
    }
  } finally {
    closeSync(fd);
  }
  return { lines: n, bytes: written };
}

function timeChild(cmd: string, args: string[]): Promise<number | undefined> {
  const began = performance.now();
  return new Promise((done) => {
    execFile(cmd, args, { maxBuffer: 64 * MB }, (error) => {
      // grep -c exits 1 when nothing matched; that still counts as a run.
      const code = (error as { code?: unknown } | null)?.code;
      if (error && typeof code !== 'number') done(undefined);
      else done(performance.now() - began);
    });
  });
}

interface Measured {
  ms: number;
  idleRss: number;
  peakRssDelta: number;
  lines: number;
  error?: string;
}

const CHILD_TIMEOUT_MS = 120_000;
const thisFile = fileURLToPath(import.meta.url);

/**
 * One read in a fresh process (`node --expose-gc --import tsx bench/logs.bench.ts --child …`), so
 * the RSS it adds is not hidden by heap pages this process kept from generating the file.
 */
function measureInChild(file: string, query: LogQuery): Promise<Measured> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', thisFile, '--child', file, JSON.stringify(query)],
      { cwd: resolve(dirname(thisFile), '..'), timeout: CHILD_TIMEOUT_MS, maxBuffer: MB },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          done(JSON.parse(line) as Measured);
        } catch {
          fail(new Error(`bench child failed: ${error?.message ?? ''} ${stderr.slice(0, 2000)}`));
        }
      },
    );
  });
}

/** The child's side: idle RSS after a GC, then the read with RSS sampled every 5 ms. */
async function childMain(file: string, query: LogQuery): Promise<void> {
  // A first small read loads the code paths (and starts nothing big), so idle includes them.
  await readLog(file, { lines: 1 });
  gc();
  const idleRss = process.memoryUsage.rss();
  let peak = idleRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const began = performance.now();
  let lines = 0;
  let error: string | undefined;
  try {
    lines = (await readLog(file, query)).lines.length;
  } catch (e) {
    error = (e as { code?: string }).code ?? String(e);
  }
  const ms = performance.now() - began;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const out: Measured = { ms, idleRss, peakRssDelta: peak - idleRss, lines, error };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

export interface LogsBenchOptions {
  /** Size of the generated file. Default 200 MB. */
  sizeMb?: number;
  repeats?: number;
}

/**
 * Run the log benchmark and emit one JSON line per case.
 *
 * @example
 * await runLogsBench({ sizeMb: 200, repeats: 3 }, cleanup, (line) => console.log(JSON.stringify(line)));
 */
export async function runLogsBench(
  options: LogsBenchOptions,
  cleanup: Cleanup,
  emit: (line: Record<string, unknown>) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webcasa-logs-bench-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bench.log');
  const genStart = performance.now();
  const generated = generate(file, (options.sizeMb ?? 200) * MB);
  emit({
    bench: 'core-logs',
    file: { bytes: statSync(file).size, mb: mb(generated.bytes), lines: generated.lines },
    generateMs: Math.round(performance.now() - genStart),
  });

  const repeats = options.repeats ?? 3;
  const cases: { name: string; query: LogQuery; baseline: [string, string[]] }[] = [
    { name: 'tail 200', query: { lines: 200 }, baseline: ['tail', ['-n', '200', file]] },
    {
      name: 'substring search (scans the whole file)',
      query: { lines: 200, q: 'NEEDLE-RARE' },
      baseline: ['grep', ['-ci', 'needle-rare', file]],
    },
    {
      name: `regex search, default ${DEFAULT_REGEX_TIME_LIMIT_MS} ms limit`,
      query: { lines: 200, q: 'needle-(rare|seldom) event', regex: true },
      baseline: ['grep', ['-ciE', 'needle-(rare|seldom) event', file]],
    },
    {
      name: 'regex search, 60 s limit',
      query: {
        lines: 200,
        q: 'needle-(rare|seldom) event',
        regex: true,
        regexOptions: { timeLimitMs: 60_000 },
      },
      baseline: ['grep', ['-ciE', 'needle-(rare|seldom) event', file]],
    },
    {
      name: 'level=fatal (scans the whole file)',
      query: { lines: 200, level: 'fatal' },
      baseline: ['grep', ['-c', '"level":"fatal"', file]],
    },
  ];
  // Warm the page cache so the first case does not pay for the disk.
  await timeChild('cat', [file]).catch(() => undefined);

  for (const c of cases) {
    const runs: Measured[] = [];
    const base: number[] = [];
    for (let r = 0; r < repeats; r++) {
      runs.push(await measureInChild(file, c.query));
      const b = await timeChild(c.baseline[0], c.baseline[1]);
      if (b !== undefined) base.push(b);
    }
    const ms = median(runs.map((m) => m.ms));
    const baseMs = base.length ? median(base) : undefined;
    const peak = Math.max(...runs.map((m) => m.peakRssDelta));
    emit({
      bench: 'core-logs',
      case: c.name,
      ms: Math.round(ms),
      baseline: `${c.baseline[0]} ${c.baseline[1].slice(0, -1).join(' ')}`,
      baselineMs: baseMs === undefined ? undefined : Math.round(baseMs),
      ratio: baseMs ? Math.round((ms / baseMs) * 100) / 100 : undefined,
      peakRssDeltaMB: mb(peak),
      idleRssMB: mb(median(runs.map((m) => m.idleRss))),
      rssDeltaVsFile: Math.round((peak / generated.bytes) * 1000) / 1000,
      lines: runs[0]!.lines,
      error: runs.find((m) => m.error)?.error,
      runsMs: runs.map((m) => Math.round(m.ms)),
    });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  await childMain(process.argv[childAt + 1]!, JSON.parse(process.argv[childAt + 2]!) as LogQuery);
} else if (process.argv[1] && resolve(process.argv[1]) === thisFile) {
  // Run directly: `npx tsx bench/logs.bench.ts [--quick]`.
  const quick = process.argv.includes('--quick');
  const cleanup = new Cleanup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup.run().then(() => process.exit(130));
    });
  }
  try {
    await runLogsBench({ sizeMb: quick ? 50 : 200, repeats: quick ? 1 : 3 }, cleanup, (line) =>
      console.log(JSON.stringify(line)),
    );
  } finally {
    await cleanup.run();
  }
}

/**
 * Cold start to the first 200 and RSS after it, each in a fresh child process
 * (`node --expose-gc --import tsx bench/cold-child.ts`), for a bare Hono
 * server (the baseline), the panel with the default distribution's plugins,
 * and the panel with 200 generated plugin packages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Cleanup, median } from './util.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const coreDir = resolve(benchDir, '..');
const panelAppDir = resolve(coreDir, '../../apps/panel');
const CHILD_TIMEOUT_MS = 30_000;

export interface ColdSample {
  /** Parent's clock: spawn() to the child's "first 200" line (includes node's own boot). */
  wallMs: number;
  /** Child's clock (performance.now(), from process start) at the first 200. */
  firstOkMs: number;
  /** Process start to the first line of the probe script (node + tsx boot). */
  enteredMs: number;
  /** Loading the code under test (dynamic import of src/server.ts, or hono + node-server). */
  importMs: number;
  /** startPanel() call to its resolution (≈ the "panel started" log), or serve() to listening. */
  startMs: number;
  /** Process start to startPanel resolved / server listening. */
  startedAtMs: number;
  rss: number;
  heapUsed: number;
  rssAfterGc?: number;
  heapAfterGc?: number;
  running?: number;
}

export interface ColdScenario {
  name: string;
  plugins: number;
  samples: ColdSample[];
  median: Omit<ColdSample, 'running'> & { running?: number };
}

/** Deterministic PRNG (mulberry32), so the generated dependency graph is the same every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Write `count` plugin packages (gen-001 …) under `root`: package.json with the
 * plugin keyword and exports, a manifest with 0–3 dependencies on lower-numbered
 * plugins, and a server.js that imports nothing and exports the marker object
 * defineServerPlugin would make.
 */
export function generatePlugins(root: string, count: number): string[] {
  const rand = prng(42);
  const dirs: string[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `gen-${String(i).padStart(3, '0')}`;
    const dir = join(root, id);
    mkdirSync(dir, { recursive: true });
    const dependencies: Record<string, string> = {};
    const wanted = i === 1 ? 0 : Math.floor(rand() * 4);
    for (let d = 0; d < wanted; d++) {
      const dep = 1 + Math.floor(rand() * (i - 1));
      dependencies[`gen-${String(dep).padStart(3, '0')}`] = '^1.0.0';
    }
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `@bench/${id}`,
        version: '1.0.0',
        type: 'module',
        keywords: ['webcasa-plugin'],
        exports: { './manifest': './manifest.json', './server': './server.js' },
      }),
    );
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        id,
        name: `Generated ${i}`,
        version: '1.0.0',
        description: `Generated plugin ${i} for the cold-start benchmark.`,
        engine: '^1.0.0',
        dependencies,
        events: [`${id}.thing.happened`],
        web: { routes: [{ path: '/' }], menu: [{ path: '/', label: `Generated ${i}` }] },
      }),
    );
    writeFileSync(
      join(dir, 'server.js'),
      "export default {\n  $$type: '@webcasa/server-plugin',\n  apiVersion: '1.0.0',\n" +
        "  setup(ctx) {\n    ctx.router.get('/ping', (c) => c.text('pong'));\n  },\n};\n",
    );
    dirs.push(dir);
  }
  return dirs;
}

/** The plugin packages the default distribution ships (apps/panel/webcasa.config.ts). */
export async function distributionPlugins(): Promise<{ plugins: string[]; note?: string }> {
  try {
    const mod = (await import(pathToFileURL(join(panelAppDir, 'webcasa.config.ts')).href)) as {
      default: { plugins?: string[] };
    };
    return { plugins: mod.default.plugins ?? [] };
  } catch (error) {
    return { plugins: [], note: `could not read apps/panel/webcasa.config.ts: ${String(error)}` };
  }
}

function runChild(config: Record<string, unknown>, cleanup: Cleanup): Promise<ColdSample> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(benchDir, 'cold-child.ts'), JSON.stringify(config)],
      { cwd: coreDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    cleanup.add(kill);
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`cold-start child (${config.mode}) took over ${CHILD_TIMEOUT_MS} ms`));
    }, CHILD_TIMEOUT_MS);
    let out = '';
    let err = '';
    let wallMs: number | undefined;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (wallMs === undefined && chunk.includes('{"ready":true}')) wallMs = performance.now() - started;
      out += chunk;
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (err.length < 20_000) err += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{"coldChild"'));
      if (code !== 0 || !line || wallMs === undefined) {
        reject(
          new Error(
            `cold-start child (${config.mode}) exited ${code}: ${err.slice(0, 2000)}${out.slice(0, 500)}`,
          ),
        );
        return;
      }
      const {
        coldChild: _c,
        mode: _m,
        ...sample
      } = JSON.parse(line) as ColdSample & { coldChild: true; mode: string };
      resolvePromise({ ...sample, wallMs });
    });
  });
}

function medianSample(samples: ColdSample[]): ColdScenario['median'] {
  const m = (pick: (s: ColdSample) => number | undefined) => {
    const values = samples.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  return {
    wallMs: m((s) => s.wallMs)!,
    firstOkMs: m((s) => s.firstOkMs)!,
    enteredMs: m((s) => s.enteredMs)!,
    importMs: m((s) => s.importMs)!,
    startMs: m((s) => s.startMs)!,
    startedAtMs: m((s) => s.startedAtMs)!,
    rss: m((s) => s.rss)!,
    heapUsed: m((s) => s.heapUsed)!,
    rssAfterGc: m((s) => s.rssAfterGc),
    heapAfterGc: m((s) => s.heapAfterGc),
    running: m((s) => s.running),
  };
}

export async function runColdStartBench(
  options: { repeats: number; generated: number },
  cleanup: Cleanup,
  emit: (line: Record<string, unknown>) => void,
): Promise<{ scenarios: ColdScenario[]; distributionNote?: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'webcasa-bench-cold-'));
  cleanup.add(() => rmSync(tmp, { recursive: true, force: true }));
  const generatedDirs = generatePlugins(join(tmp, 'plugins'), options.generated);
  const dist = await distributionPlugins();
  let dataDirs = 0;
  const freshDataDir = () => join(tmp, `data-${++dataDirs}`);

  const scenarios: { name: string; plugins: number; config: () => Record<string, unknown> }[] = [
    { name: 'bare hono', plugins: 0, config: () => ({ mode: 'hono' }) },
    {
      name: `panel, distribution plugins (${dist.plugins.length})`,
      plugins: dist.plugins.length,
      config: () => ({
        mode: 'panel',
        dataDir: freshDataDir(),
        plugins: dist.plugins,
        resolveFrom: panelAppDir,
      }),
    },
    {
      name: `panel, ${options.generated} generated plugins`,
      plugins: options.generated,
      config: () => ({ mode: 'panel', dataDir: freshDataDir(), pluginDirs: generatedDirs }),
    },
  ];
  const samples = new Map<string, ColdSample[]>(scenarios.map((s) => [s.name, []]));

  // One untimed run of each first: fills tsx's transform cache and the OS file cache.
  for (const s of scenarios) await runChild(s.config(), cleanup);
  for (let rep = 1; rep <= options.repeats; rep++) {
    for (const s of scenarios) {
      const sample = await runChild(s.config(), cleanup);
      if (s.plugins > 0 && sample.running !== s.plugins) {
        throw new Error(`${s.name}: only ${sample.running} of ${s.plugins} plugins are running`);
      }
      samples.get(s.name)!.push(sample);
      emit({
        bench: 'core-cold-start',
        case: s.name,
        rep,
        firstOkMs: Math.round(sample.firstOkMs),
        wallMs: Math.round(sample.wallMs),
        importMs: Math.round(sample.importMs),
        startMs: Math.round(sample.startMs),
        rssMB: mb(sample.rss),
        rssAfterGcMB: sample.rssAfterGc === undefined ? undefined : mb(sample.rssAfterGc),
        running: sample.running,
      });
    }
  }
  return {
    scenarios: scenarios.map((s) => ({
      name: s.name,
      plugins: s.plugins,
      samples: samples.get(s.name)!,
      median: medianSample(samples.get(s.name)!),
    })),
    distributionNote: dist.note,
  };
}

export function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

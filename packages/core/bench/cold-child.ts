/**
 * Cold-start probe, run in a fresh `node --import tsx` process by cold-start.ts.
 * Starts a bare Hono server or a panel, polls it over HTTP until the first 200
 * and prints one JSON line: milliseconds since this process started
 * (performance.now() counts from process start), and RSS after the first 200.
 *
 * Only node built-ins are imported statically, so module loading of the thing
 * under test is inside the measurement.
 */
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';

interface ChildConfig {
  mode: 'hono' | 'panel';
  dataDir?: string;
  plugins?: string[];
  resolveFrom?: string;
  pluginDirs?: string[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const entered = performance.now();

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Poll until 200; bounded to 500 tries (~5 s). */
async function firstOk(url: string): Promise<number> {
  for (let i = 0; i < 500; i++) {
    if ((await status(url)) === 200) return performance.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} never answered 200`);
}

let stop: () => Promise<void>;
let url: string;
let importedAt: number;
let startedAt: number;
let running: number | undefined;

if (config.mode === 'hono') {
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')]);
  importedAt = performance.now();
  const app = new Hono();
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as import('node:http').Server),
    );
  });
  startedAt = performance.now();
  url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/hello`;
  stop = () => new Promise((r) => server.close(() => r()));
} else {
  const { startPanel } = await import('../src/server.js');
  importedAt = performance.now();
  const panel = await startPanel({
    dataDir: config.dataDir!,
    port: 0,
    host: '127.0.0.1',
    plugins: config.plugins ?? [],
    resolveFrom: config.resolveFrom,
    pluginDirs: config.pluginDirs ?? [],
    stdoutLogs: false,
    onSetupToken: () => {},
  });
  // startPanel resolves right after it logs "panel started".
  startedAt = performance.now();
  running = panel.manager.list().filter((p) => p.status === 'running').length;
  url = `${panel.url}/api/health`;
  stop = () => panel.stop();
}

const firstOkAt = await firstOk(url);
// Tell the parent right away, so its wall-clock measure excludes the GC below.
process.stdout.write('{"ready":true}\n');
const rss = process.memoryUsage().rss;
const heapUsed = process.memoryUsage().heapUsed;
const gc = (globalThis as { gc?: () => void }).gc;
let rssAfterGc: number | undefined;
let heapAfterGc: number | undefined;
if (gc) {
  gc();
  gc();
  rssAfterGc = process.memoryUsage().rss;
  heapAfterGc = process.memoryUsage().heapUsed;
}
process.stdout.write(
  `${JSON.stringify({
    coldChild: true,
    mode: config.mode,
    enteredMs: entered,
    importMs: importedAt - entered,
    startMs: startedAt - importedAt,
    startedAtMs: startedAt,
    firstOkMs: firstOkAt,
    rss,
    heapUsed,
    rssAfterGc,
    heapAfterGc,
    running,
  })}\n`,
);
await stop();
process.exit(0);

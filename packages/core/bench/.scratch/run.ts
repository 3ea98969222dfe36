import { runHttpBench } from './http.js';
import { LoadGenerator } from './load.js';
import { Cleanup } from './util.js';
const cleanup = new Cleanup();
const load = new LoadGenerator();
cleanup.add(() => load.close());
try {
  const r = await runHttpBench(load, { rounds: 3, connections: 32, warmupMs: 1000, durationMs: 2000, health: true }, cleanup, () => {});
  console.log(process.argv[2], JSON.stringify({ ratio: r.ratio.toFixed(3), health: r.healthRatio?.toFixed(3), rps: r.cases.map((c) => Math.round(c.median.rps)) }));
} finally { await cleanup.run(); }

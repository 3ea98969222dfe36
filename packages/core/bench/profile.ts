/**
 * CPU-profile one panel route under load (the load window only, not startup),
 * then print where the time goes:
 *
 *   npx tsx bench/profile.ts [/api/plugins] [seconds=4] [out=/tmp/webcasa-api.cpuprofile]
 *
 * The profile file opens in Chrome DevTools (Performance tab) or speedscope.
 * Not part of `pnpm bench`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarise } from './cpuprofile-summary.js';
import { runProfileLoad } from './http.js';
import { LoadGenerator } from './load.js';
import { Cleanup } from './util.js';

const path = process.argv[2] ?? '/api/plugins';
const seconds = Math.min(10, Math.max(1, Number(process.argv[3] ?? 4)));
const out = process.argv[4] ?? join(tmpdir(), 'webcasa-api.cpuprofile');
const cleanup = new Cleanup();
const load = new LoadGenerator();
cleanup.add(() => load.close());
const session = new Session();
session.connect();
cleanup.add(() => session.disconnect());
try {
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const r = await runProfileLoad(load, path, seconds * 1000, cleanup, {
    measuring: () => session.post('Profiler.start'),
  });
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  console.log(
    JSON.stringify({
      bench: 'core-profile',
      path,
      rps: Math.round(r.rps),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      profile: out,
    }),
  );
  summarise(profile as never, 30);
} finally {
  await cleanup.run();
}

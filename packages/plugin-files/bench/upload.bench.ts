/**
 * `pnpm bench`: a 1 GiB chunked upload through a real panel (HTTP on 127.0.0.1, in chunks of the
 * size the server names in its init answer (8 MiB), the same routes the browser uses), against `cp` of the same file on the same disk.
 * `BENCH_BYTES` changes the size, `BENCH_CLIENT=fetch` the client (see CLIENT).
 * Reports throughput as a ratio to `cp` and the peak RSS growth of the process (panel and client
 * share it, so the figure is an upper bound for the panel). Fails if the growth is 100 MB or more,
 * or if the uploaded file differs.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPanel } from '@webcasa/plugin-testing';
import manifest from '../manifest.json' with { type: 'json' };
import plugin from '../src/server.js';

const SIZE = Number(process.env.BENCH_BYTES ?? 1024 * 1024 * 1024);
/**
 * The client sending the chunks: `http` (default; node:http with keep-alive, the lightest client,
 * so the figure is about the panel) or `fetch` (undici, as the first version of this bench did;
 * it costs a quarter of the shared CPU on its own).
 */
const CLIENT = process.env.BENCH_CLIENT === 'fetch' ? 'fetch' : 'http';
const LIMIT_MB = 100;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const base = realpathSync(mkdtempSync(join(tmpdir(), 'webcasa-files-bench-')));
const root = join(base, 'root');
mkdirSync(root);
const source = join(base, 'source.bin');
// A 1 GiB file of random blocks, written in 8 MiB pieces.
{
  const block = randomBytes(8 * 1024 * 1024);
  const fd = openSync(source, 'w');
  for (let written = 0; written < SIZE; written += block.length) {
    writeFileSync(fd, block.subarray(0, Math.min(block.length, SIZE - written)));
  }
  closeSync(fd);
}

const t = await startTestPanel({ plugins: [{ manifest, plugin }] });
try {
  await t.client.put('/api/admin/plugins/files/config', { roots: [root] });
  const auth = { authorization: `Bearer ${t.client.token}` };

  // cp of the same file, same disk (page cache warm for both).
  execFileSync('cp', [source, join(base, 'warm.bin')]);
  rmSync(join(base, 'warm.bin'));
  const cpStart = process.hrtime.bigint();
  execFileSync('cp', [source, join(base, 'cp.bin')]);
  execFileSync('sync');
  const cpSeconds = Number(process.hrtime.bigint() - cpStart) / 1e9;
  rmSync(join(base, 'cp.bin'));

  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);

  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const init = await t.client.post('/api/plugins/files/upload', { path: 'big.bin', size: SIZE });
  if (init.status !== 201) throw new Error(`init: ${init.status}`);
  const id = init.body.id as string;
  // The client follows the server's chunk size, as the web client does.
  const CHUNK = init.body.chunkSize as number;
  const fd = openSync(source, 'r');
  const buf = Buffer.alloc(CHUNK);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const put = (url: URL, body: Buffer): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'PUT',
          agent,
          headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    const n = readSync(fd, buf, 0, CHUNK, offset);
    const url = new URL(`/api/plugins/files/upload/${id}?offset=${offset}`, t.url);
    if (CLIENT === 'http') {
      const res = await put(url, buf.subarray(0, n));
      if (res.status !== 200) throw new Error(`chunk at ${offset}: ${res.status} ${res.text}`);
      continue;
    }
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: buf.subarray(0, n) as unknown as Blob,
    });
    if (res.status !== 200) throw new Error(`chunk at ${offset}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  agent.destroy();
  closeSync(fd);
  const done = await t.client.post(`/api/plugins/files/upload/${id}/complete`);
  if (done.status !== 200) throw new Error(`complete: ${done.status}`);
  const cpu = process.cpuUsage(cpuStart);
  execFileSync('sync');
  const upSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);

  const same =
    statSync(join(root, 'big.bin')).size === SIZE &&
    (await sha256(source)) === (await sha256(join(root, 'big.bin')));
  const growthMb = (peak - baseline) / 1e6;
  const mib = SIZE / 1024 / 1024;
  const result = {
    bytes: SIZE,
    chunkBytes: CHUNK,
    client: CLIENT,
    uploadSeconds: +upSeconds.toFixed(2),
    uploadMiBps: +(mib / upSeconds).toFixed(1),
    cpSeconds: +cpSeconds.toFixed(2),
    cpMiBps: +(mib / cpSeconds).toFixed(1),
    ratioToCp: +(cpSeconds / upSeconds).toFixed(3),
    // CPU time of the process (panel and client) per GiB uploaded: steadier than the wall-clock
    // ratio on a shared machine, and what a change on the server side moves.
    cpuSecondsPerGiB: +((cpu.user + cpu.system) / 1e6 / (SIZE / 2 ** 30)).toFixed(2),
    baselineRssMb: +(baseline / 1e6).toFixed(1),
    peakRssGrowthMb: +growthMb.toFixed(1),
    rssLimitMb: LIMIT_MB,
    identical: same,
  };
  console.log(JSON.stringify(result, null, 2));
  if (!same) throw new Error('the uploaded file differs from the source');
  if (growthMb >= LIMIT_MB) throw new Error(`peak RSS grew ${growthMb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`);
} finally {
  await t.stop();
  rmSync(base, { recursive: true, force: true });
}

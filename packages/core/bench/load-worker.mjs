// A small HTTP/1.1 load generator, run in a worker thread so it has its own
// event loop (and core) apart from the server under test. It speaks HTTP over
// raw keep-alive sockets with a pre-serialised request: far cheaper per request
// than http.request or fetch, so it saturates the server, not itself (its own
// event-loop utilisation is reported so that can be checked).
//
// Plain JS on purpose: it runs the same under tsx or bare node.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

/** Hard cap on recorded requests per measurement (bounded memory and loop). */
const MAX_REQUESTS = 2_000_000;
/** Largest response accepted, a guard against a runaway parse. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Parse one complete response at the start of `buf`.
 * @returns {{ status: number, length: number } | undefined} length = bytes consumed; undefined if incomplete
 */
function parseResponse(buf) {
  const headerEnd = buf.indexOf(CRLF2);
  if (headerEnd < 0) {
    if (buf.length > 64 * 1024) throw new Error('response header too large');
    return undefined;
  }
  const head = buf.latin1Slice(0, headerEnd);
  const status = Number(head.slice(9, 12));
  const bodyStart = headerEnd + 4;
  const lower = head.toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
  if (cl) {
    const total = bodyStart + Number(cl[1]);
    if (total > MAX_RESPONSE_BYTES) throw new Error('response too large');
    return buf.length >= total ? { status, length: total } : undefined;
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
    let pos = bodyStart;
    // Bounded: each turn consumes at least one chunk header.
    for (let guard = 0; guard < 100_000; guard++) {
      const lineEnd = buf.indexOf('\r\n', pos, 'latin1');
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(buf.latin1Slice(pos, lineEnd), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      if (size === 0) {
        // Last chunk, no trailers expected: "0\r\n\r\n".
        const end = lineEnd + 4;
        return buf.length >= end ? { status, length: end } : undefined;
      }
      pos = lineEnd + 2 + size + 2;
      if (pos > MAX_RESPONSE_BYTES) throw new Error('response too large');
      if (buf.length < pos) return undefined;
    }
    throw new Error('too many chunks');
  }
  // No body framing: only valid for 204/304 and the like.
  return { status, length: bodyStart };
}

/**
 * Run one measurement: `warmupMs` of unrecorded load, then `durationMs` recorded.
 * @param {{ port: number, path: string, headers?: Record<string,string>, connections: number, warmupMs: number, durationMs: number }} job
 */
async function run(job) {
  const lines = [`GET ${job.path} HTTP/1.1`, `host: 127.0.0.1:${job.port}`, 'connection: keep-alive'];
  for (const [k, v] of Object.entries(job.headers ?? {})) lines.push(`${k}: ${v}`);
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');

  const latencies = new Float64Array(MAX_REQUESTS);
  let recording = false;
  let stopping = false;
  let count = 0;
  let non2xx = 0;
  let errors = 0;
  const statuses = {};

  const conns = [];
  const done = [];
  for (let i = 0; i < job.connections; i++) {
    done.push(
      new Promise((resolveConn) => {
        const socket = connect({ host: '127.0.0.1', port: job.port });
        socket.setNoDelay(true);
        conns.push(socket);
        let buf = Buffer.alloc(0);
        let sentAt = 0;
        const send = () => {
          if (stopping || count >= MAX_REQUESTS) {
            socket.end();
            return;
          }
          sentAt = performance.now();
          socket.write(request);
        };
        socket.on('connect', send);
        socket.on('data', (chunk) => {
          buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
          let parsed;
          try {
            parsed = parseResponse(buf);
          } catch (error) {
            errors++;
            socket.destroy(error);
            return;
          }
          if (parsed === undefined) return;
          buf = buf.length === parsed.length ? Buffer.alloc(0) : buf.subarray(parsed.length);
          if (recording) {
            if (parsed.status < 200 || parsed.status > 299) {
              non2xx++;
              statuses[parsed.status] = (statuses[parsed.status] ?? 0) + 1;
            }
            latencies[count++] = performance.now() - sentAt;
          }
          send();
        });
        socket.on('error', () => {
          errors++;
        });
        socket.on('close', () => resolveConn());
      }),
    );
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  await sleep(job.warmupMs);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  recording = true;
  await sleep(job.durationMs);
  recording = false;
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  stopping = true;
  // In-flight requests finish and each socket ends itself; bounded wait.
  const closed = await Promise.race([Promise.all(done).then(() => true), sleep(3000).then(() => false)]);
  if (!closed) for (const s of conns) s.destroy();

  const sorted = latencies.subarray(0, count).sort();
  const pct = (p) => (count === 0 ? Number.NaN : sorted[Math.min(count - 1, Math.floor((p / 100) * count))]);
  return {
    requests: count,
    seconds: elapsed / 1000,
    rps: count / (elapsed / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: count === 0 ? Number.NaN : sorted[count - 1],
    non2xx,
    statuses,
    errors,
    generatorElu: elu,
  };
}

parentPort?.on('message', async (job) => {
  try {
    parentPort?.postMessage({ ok: true, result: await run(job) });
  } catch (error) {
    parentPort?.postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
});

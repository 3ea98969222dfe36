import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { PeerClosedError, RpcPeer, RpcTimeoutError } from './rpc.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Two ends of a real unix socket. */
async function socketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'webcasa-rpc-'));
  const path = join(dir, 'rpc.sock');
  const server = createServer();
  server.listen(path);
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(path);
  await once(client, 'connect');
  const [other] = await accepted;
  server.close();
  cleanups.push(() => {
    client.destroy();
    other.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return [client, other];
}

async function peers(window?: number) {
  const [a, b] = await socketPair();
  // Untyped maps: each test declares its own methods.
  type Any = RpcPeer<any, any, any, any>;
  const host: Any = new RpcPeer(a, { name: 'host', streamParity: 1, streamWindowBytes: window });
  const child: Any = new RpcPeer(b, { name: 'child', streamParity: 0, streamWindowBytes: window });
  cleanups.push(() => {
    host.close();
    child.close();
  });
  return { host, child, a, b };
}

describe('RpcPeer', () => {
  it('answers calls in both directions, with bytes and bigints intact', async () => {
    const { host, child } = await peers();
    child.handle('add', ({ a, b }: { a: bigint; b: bigint }) => a + b);
    host.handle('echo', async (p: unknown) => p);
    expect(await host.call('add', { a: 2n ** 70n, b: 1n })).toBe(2n ** 70n + 1n);
    const back = (await child.call('echo', { bytes: new Uint8Array([1, 2, 3]) })) as { bytes: Buffer };
    expect([...back.bytes]).toEqual([1, 2, 3]);
    // Many calls in flight at once keep their own answers.
    const sums = await Promise.all(
      Array.from({ length: 50 }, (_, i) => host.call('add', { a: BigInt(i), b: 1n })),
    );
    expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i) + 1n));
  });

  it('sends errors back with code, status, field and details; hides stacks', async () => {
    const { host, child } = await peers();
    child.handle('bad', () => {
      throw new HttpError(400, 'WEBCASA_BAD_REQUEST', 'body.name: required', 'body.name', { issues: [] });
    });
    child.handle('boom', () => {
      throw new TypeError('undefined is not a function');
    });
    const bad = await host.call('bad', null).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(HttpError);
    expect(bad).toMatchObject({
      code: 'WEBCASA_BAD_REQUEST',
      status: 400,
      field: 'body.name',
      details: { issues: [] },
    });
    const boom = (await host.call('boom', null).catch((e: unknown) => e)) as Error & { status: number };
    expect(boom).toMatchObject({
      code: 'WEBCASA_REMOTE_ERROR',
      status: 500,
      message: 'undefined is not a function',
    });
    expect(boom.name).toBe('TypeError');
    expect(boom.stack).not.toContain('rpc.test');
    const unknown = await host.call('nope', null).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'WEBCASA_RPC_UNKNOWN_METHOD', status: 501 });
  });

  it('times out, and the cancellation reaches the handler', async () => {
    const { host, child } = await peers();
    let aborted: unknown;
    child.handle('slow', (_p, { signal }) => {
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          resolve('late');
        });
      });
    });
    const error = await host.call('slow', null, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcTimeoutError);
    expect((error as Error).message).toBe('host: slow got no answer within 50 ms');
    await expect.poll(() => aborted).toMatchObject({ code: 'WEBCASA_RPC_CANCELLED' });
  });

  it('forwards an abort but keeps waiting when asked to (runs report their clean-up)', async () => {
    const { host, child } = await peers();
    child.handle(
      'job',
      (_p, { signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve('cleaned up'))),
    );
    const controller = new AbortController();
    const result = host.call('job', null, { signal: controller.signal, onAbort: 'forward' });
    setTimeout(() => controller.abort(), 20);
    expect(await result).toBe('cleaned up');
    const rejected = host.call('job', null, { signal: AbortSignal.timeout(20) });
    await expect(rejected).rejects.toThrow();
  });

  it('delivers notifications in order with the calls around them', async () => {
    const { host, child } = await peers();
    const seen: string[] = [];
    host.onNotify('log', (p: string) => seen.push(p));
    host.handle('mark', (p: string) => {
      seen.push(p);
      return null;
    });
    child.notify('log', 'one');
    const call = child.call('mark', 'two');
    child.notify('log', 'three');
    await call;
    await expect.poll(() => seen).toEqual(['one', 'two', 'three']);
  });

  it('streams bytes with flow control: the sender never runs more than a window ahead', async () => {
    const window = 64 * 1024;
    const { host, child } = await peers(window);
    const total = 3 * 1024 * 1024;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const chunk = 16 * 1024;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= total) return controller.close();
          controller.enqueue(new Uint8Array(chunk).fill(produced / chunk));
          produced += chunk;
          maxAhead = Math.max(maxAhead, produced - consumed);
        },
      },
      { highWaterMark: 0 },
    );
    const id = host.sendStream(source);
    const reader = child.receiveStream(id).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      consumed += value.byteLength;
      if (consumed % (256 * 1024) === 0) await new Promise((r) => setTimeout(r, 2)); // a slow reader
    }
    expect(consumed).toBe(total);
    expect(maxAhead).toBeLessThanOrEqual(window + 2 * chunk);
  });

  it('a reader that cancels stops the source', async () => {
    const { host, child } = await peers(32 * 1024);
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(8192));
      },
      cancel() {
        cancelled = true;
      },
    });
    const reader = child.receiveStream(host.sendStream(source)).getReader();
    await reader.read();
    await reader.cancel();
    await expect.poll(() => cancelled).toBe(true);
  });

  it('an error in the source reaches the reader', async () => {
    const { host, child } = await peers();
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.error(new Error('disk gone'));
      },
    });
    const reader = child.receiveStream(host.sendStream(source)).getReader();
    await expect(async () => {
      for (;;) if ((await reader.read()).done) break;
    }).rejects.toThrow('disk gone');
  });

  it('rejects pending calls when the other side goes away', async () => {
    const { host, child, b } = await peers();
    child.handle('never', () => new Promise(() => {}));
    const pending = host.call('never', null);
    await new Promise((r) => setTimeout(r, 20));
    b.destroy();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerClosedError);
    expect((error as PeerClosedError).code).toBe('WEBCASA_RPC_CLOSED');
    expect((error as Error).message).toContain('(during never)');
    await expect(host.call('never', null)).rejects.toBeInstanceOf(PeerClosedError);
  });

  it('refuses a message larger than a frame, and closes on a broken peer', async () => {
    const { host, child, b } = await peers();
    child.handle('x', () => null);
    await expect(host.call('x', { huge: 'x'.repeat(16 * 1024 * 1024) })).rejects.toMatchObject({
      code: 'WEBCASA_RPC_FRAME',
    });
    expect(await host.call('x', null)).toBeNull(); // the channel is still fine
    const closed = new Promise<Error>((resolve) => host.onClose(resolve));
    b.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])); // announces a 4 GiB frame
    expect((await closed).message).toMatch(/protocol error: peer announced a frame of 4294967295 bytes/);
  });
});

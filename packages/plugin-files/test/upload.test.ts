import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Uploads } from '../src/upload.js';
import { type Fixture, startFiles } from './helpers.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFiles();
});
afterAll(() => f.stop());

async function putChunk(id: string, offset: number, data: Uint8Array): Promise<Response> {
  return fetch(new URL(`${f.api}/upload/${id}?offset=${offset}`, f.t.url), {
    method: 'PUT',
    headers: { authorization: `Bearer ${f.t.client.token}`, 'content-type': 'application/octet-stream' },
    body: data as unknown as Blob,
  });
}

/** A request on a connection of its own: the panel may close it after refusing a large body. */
function rawSend(
  method: string,
  path: string,
  body: Buffer,
  contentType = 'application/octet-stream',
): Promise<{ status: number | string; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      new URL(path, f.t.url),
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${f.t.client.token}`,
          'content-type': contentType,
          'content-length': body.length,
        },
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
    req.on('error', () => resolve({ status: 'connection closed', text: '' }));
    req.end(body);
  });
}

describe('chunked resumable upload', () => {
  it('uploads in chunks, refuses a wrong offset, resumes after the plugin restarts, completes', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const init = await f.t.client.post(`${f.api}/upload`, { path: 'up/big.bin', size: data.length });
    expect(init.status).toBe(201);
    // 8 MiB: the manifest raises the chunk route's body limit past the panel's 1 MiB.
    expect(init.body.chunkSize).toBe(8 * 1024 * 1024);
    const id = init.body.id as string;
    const chunk = init.body.chunkSize as number;

    const first = await putChunk(id, 0, data.subarray(0, chunk));
    expect(first.status).toBe(200);
    expect(((await first.json()) as { offset: number }).offset).toBe(chunk);
    const wrong = await putChunk(id, 0, data.subarray(0, chunk));
    expect(wrong.status).toBe(409);
    expect(((await wrong.json()) as { error: unknown }).error).toMatchObject({
      code: 'WEBCASA_FILES_UPLOAD_OFFSET',
      field: 'query.offset',
    });
    expect((await f.t.client.post(`${f.api}/upload/${id}/complete`)).status).toBe(409);

    // The plugin restarts (disable, enable): the upload state is on disk and continues.
    expect((await f.t.client.post('/api/admin/plugins/files/disable')).status).toBe(200);
    expect((await f.t.client.get(`${f.api}/upload/${id}`)).status).toBe(404); // plugin not running
    expect((await f.t.client.post('/api/admin/plugins/files/enable')).status).toBe(200);
    const status = await f.t.client.get(`${f.api}/upload/${id}`);
    expect(status.body).toMatchObject({ offset: chunk, size: data.length, path: 'up/big.bin' });

    for (let offset = status.body.offset as number; offset < data.length; offset += chunk) {
      const res = await putChunk(id, offset, data.subarray(offset, offset + chunk));
      expect(res.status).toBe(200);
    }
    const done = await f.t.client.post(`${f.api}/upload/${id}/complete`);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(readFileSync(join(f.root, 'up/big.bin')).equals(data)).toBe(true);
    expect((await f.t.client.get(`${f.api}/upload/${id}`)).status).toBe(404);
  });

  it('refuses chunks over 8 MiB, other bodies over 1 MiB, past the declared size, and an existing target', async () => {
    const init = await f.t.client.post(`${f.api}/upload`, { path: 'small.bin', size: 10 });
    const past = await putChunk(init.body.id, 0, new Uint8Array(11));
    expect(past.status).toBe(400);
    const huge = await f.t.client.post(`${f.api}/upload`, { path: 'huge.bin', size: 20 * 1024 * 1024 });
    // The panel itself refuses chunk bodies over 8 MiB (413, and it may close the connection early).
    const tooBig = await rawSend(
      'PUT',
      `${f.api}/upload/${huge.body.id}?offset=0`,
      Buffer.alloc(8 * 1024 * 1024 + 1),
    );
    expect([413, 'connection closed']).toContain(tooBig.status);
    // Only the chunk route is raised: the init route keeps the panel's 1 MiB.
    const bigInit = await rawSend(
      'POST',
      `${f.api}/upload`,
      Buffer.from(JSON.stringify({ path: 'x.bin', size: 1, pad: 'x'.repeat(1024 * 1024) })),
      'application/json',
    );
    expect(bigInit.status).toBe(413);
    expect(JSON.parse(bigInit.text).error).toMatchObject({ code: 'WEBCASA_BODY_TOO_LARGE', field: 'body' });
    expect((await f.t.client.get(`${f.api}/upload/${huge.body.id}`)).body.offset).toBe(0);
    expect((await f.t.client.post(`${f.api}/upload`, { path: 'up/big.bin', size: 1 })).status).toBe(409);
    expect((await f.t.client.post(`${f.api}/upload`, { path: '../x.bin', size: 1 })).status).toBe(403);
    expect((await f.t.client.post(`${f.api}/upload`, { path: 'x.bin', size: -1 })).body.error.field).toBe(
      'body.size',
    );
    expect((await f.t.client.delete(`${f.api}/upload/${huge.body.id}`)).status).toBe(200);
    expect((await f.t.client.get(`${f.api}/upload/u_nope`)).status).toBe(404);
  });

  it('keeps its state across a new instance on the same folder (a panel restart)', async () => {
    const dir = join(f.t.dataDir, 'plugins', 'files', 'uploads');
    const a = new Uploads(dir);
    const state = await a.create({ rootIndex: 0, path: 'r.bin', size: 4, overwrite: false, createdBy: 'x' });
    await a.append(state.id, 0, new Blob([new Uint8Array([1, 2])]).stream() as never, 2);
    const b = new Uploads(dir);
    expect((await b.get(state.id)).offset).toBe(2);
    await b.append(state.id, 2, new Blob([new Uint8Array([3, 4])]).stream() as never, 2);
    const { part } = await b.finished(state.id);
    expect([...readFileSync(part)]).toEqual([1, 2, 3, 4]);
    await b.remove(state.id);
  });

  it('cuts a failed chunk back, refuses a second chunk while one is written, and closes idle part files', async () => {
    const dir = join(f.t.dataDir, 'plugins', 'files', 'uploads-direct');
    const u = new Uploads(dir);
    const state = await u.create({ rootIndex: 0, path: 'c.bin', size: 8, overwrite: false, createdBy: 'x' });
    await u.append(state.id, 0, new Blob([new Uint8Array([1, 2])]).stream() as never, 2);
    // A body that sends two bytes and then fails (the client went away).
    let pull = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pull++ === 0) controller.enqueue(new Uint8Array([9, 9]));
        else controller.error(new Error('connection reset'));
      },
    });
    await expect(u.append(state.id, 2, broken as never, 4)).rejects.toThrow('connection reset');
    expect((await u.get(state.id)).offset).toBe(2);
    expect(statSync(join(dir, `${state.id}.part`)).size).toBe(2);

    // While one chunk is still arriving, another for the same upload is refused.
    let release!: () => void;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([3]));
        release = () => {
          controller.enqueue(new Uint8Array([4]));
          controller.close();
        };
      },
    });
    const first = u.append(state.id, 2, slow as never, 2);
    await new Promise((r) => setTimeout(r, 20));
    await expect(
      u.append(state.id, 2, new Blob([new Uint8Array([7])]).stream() as never, 1),
    ).rejects.toMatchObject({
      status: 409,
      code: 'WEBCASA_FILES_UPLOAD_BUSY',
    });
    release();
    expect(await first).toBe(4);

    // Idle part files are closed; the upload goes on from disk.
    expect(await u.closeIdle(0)).toBe(1);
    expect(await u.closeIdle(0)).toBe(0);
    expect(await u.append(state.id, 4, new Blob([new Uint8Array([5, 6, 7, 8])]).stream() as never, 4)).toBe(
      8,
    );
    const { part } = await u.finished(state.id);
    expect([...readFileSync(part)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await u.remove(state.id);
  });
});

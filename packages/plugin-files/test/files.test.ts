import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { type Fixture, q, startFiles } from './helpers.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFiles({ maxEditBytes: 4096 });
});
afterAll(() => f.stop());

async function raw(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, f.t.url), {
    headers: { authorization: `Bearer ${f.t.client.token}`, ...headers },
  });
}

describe('list and stat', () => {
  beforeAll(() => {
    mkdirSync(join(f.root, 'list'));
    mkdirSync(join(f.root, 'list', 'zdir'));
    for (const [name, size] of [
      ['b.txt', 30],
      ['a.txt', 10],
      ['c.txt', 20],
    ] as const) {
      writeFileSync(join(f.root, 'list', name), 'x'.repeat(size));
    }
  });
  it('sorts folders first, then by name, size or mtime, and pages', async () => {
    const byName = await f.t.client.get(`${f.api}/list?path=list`);
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((e: { name: string }) => e.name)).toEqual([
      'zdir',
      'a.txt',
      'b.txt',
      'c.txt',
    ]);
    expect(byName.body.total).toBe(4);
    const bySize = await f.t.client.get(`${f.api}/list?path=list&sort=size&order=desc`);
    expect(bySize.body.items.map((e: { name: string }) => e.name)).toEqual([
      'zdir',
      'b.txt',
      'c.txt',
      'a.txt',
    ]);
    const page = await f.t.client.get(`${f.api}/list?path=list&offset=1&limit=2`);
    expect(page.body.items.map((e: { name: string }) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(page.body.items[0]).toMatchObject({ type: 'file', size: 10 });
  });
  it('stats a file', async () => {
    const res = await f.t.client.get(`${f.api}/stat?path=list/a.txt`);
    expect(res.body).toMatchObject({ path: 'list/a.txt', name: 'a.txt', type: 'file', size: 10 });
    expect(res.body.etag).toMatch(/^W\//);
  });
  it('names the bad field with 400', async () => {
    const res = await f.t.client.get(`${f.api}/list?sort=colour`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'WEBCASA_BAD_REQUEST', field: 'query.sort' });
    const w = await f.t.client.post(`${f.api}/write`, { path: 'x.txt' });
    expect(w.status).toBe(400);
    expect(w.body.error.field).toBe('body.content');
    const m = await f.t.client.post(`${f.api}/chmod`, { path: 'list/a.txt', mode: 'rwx' });
    expect(m.body.error.field).toBe('body.mode');
  });
  it('answers 404 for a missing folder and for an unknown root', async () => {
    expect((await f.t.client.get(`${f.api}/list?path=nope`)).status).toBe(404);
    const r = await f.t.client.get(`${f.api}/list?root=5`);
    expect(r.status).toBe(404);
    expect(r.body.error.field).toBe('query.root');
  });
});

describe('read and write with an ETag', () => {
  it('creates, reads, and refuses a stale write with 412', async () => {
    const created = await f.t.client.post(`${f.api}/write`, {
      path: 'notes/todo.md',
      content: 'v1',
      etag: null,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(404); // parent folder missing
    await f.t.client.post(`${f.api}/mkdir`, { path: 'notes' });
    const c2 = await f.t.client.post(`${f.api}/write`, { path: 'notes/todo.md', content: 'v1', etag: null });
    expect(c2.status).toBe(200);
    const again = await f.t.client.post(`${f.api}/write`, {
      path: 'notes/todo.md',
      content: 'v1',
      etag: null,
    });
    expect(again.status).toBe(412);

    const a = await f.t.client.get(`${f.api}/read?path=notes/todo.md`);
    expect(a.body).toMatchObject({ content: 'v1', size: 2, etag: c2.body.etag });
    expect(a.headers.get('etag')).toBe(a.body.etag);

    // Two editors opened v1; the first saves, the second must not overwrite it.
    const first = await f.t.client.post(`${f.api}/write`, {
      path: 'notes/todo.md',
      content: 'from A',
      etag: a.body.etag,
    });
    expect(first.status).toBe(200);
    const second = await f.t.client.post(`${f.api}/write`, {
      path: 'notes/todo.md',
      content: 'from B',
      etag: a.body.etag,
    });
    expect(second.status).toBe(412);
    expect(second.body.error).toMatchObject({ code: 'WEBCASA_FILES_ETAG_MISMATCH', field: 'body.etag' });
    expect(readFileSync(join(f.root, 'notes/todo.md'), 'utf8')).toBe('from A');
    // The If-Match header works too.
    const viaHeader = await f.t.client.request(
      'POST',
      `${f.api}/write`,
      { path: 'notes/todo.md', content: 'C' },
      { 'if-match': first.body.etag },
    );
    expect(viaHeader.status).toBe(200);
    expect(readFileSync(join(f.root, 'notes/todo.md'), 'utf8')).toBe('C');
  });
  it('keeps the file mode on write', async () => {
    writeFileSync(join(f.root, 'run.sh'), 'echo');
    await f.t.client.post(`${f.api}/chmod`, { path: 'run.sh', mode: '0750' });
    expect(statSync(join(f.root, 'run.sh')).mode & 0o777).toBe(0o750);
    await f.t.client.post(`${f.api}/write`, { path: 'run.sh', content: 'echo hi' });
    expect(statSync(join(f.root, 'run.sh')).mode & 0o777).toBe(0o750);
  });
  it('refuses files over the editor limit with 413', async () => {
    writeFileSync(join(f.root, 'big.log'), 'y'.repeat(5000));
    const res = await f.t.client.get(`${f.api}/read?path=big.log`);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('WEBCASA_FILES_TOO_LARGE');
  });
});

describe('mkdir, rename, copy, delete to trash and restore', () => {
  it('moves and copies, refusing to overwrite', async () => {
    await f.t.client.post(`${f.api}/mkdir`, { path: 'm/a/b' });
    writeFileSync(join(f.root, 'm/a/b/f.txt'), 'data');
    expect((await f.t.client.post(`${f.api}/mkdir`, { path: 'm/a' })).status).toBe(409);
    const cp = await f.t.client.post(`${f.api}/copy`, { from: 'm/a', to: 'm/a2' });
    expect(cp.status).toBe(200);
    expect(readFileSync(join(f.root, 'm/a2/b/f.txt'), 'utf8')).toBe('data');
    expect((await f.t.client.post(`${f.api}/copy`, { from: 'm/a', to: 'm/a/b/inside' })).status).toBe(400);
    const mv = await f.t.client.post(`${f.api}/rename`, { from: 'm/a2', to: 'm/moved' });
    expect(mv.status).toBe(200);
    expect(existsSync(join(f.root, 'm/a2'))).toBe(false);
    expect(existsSync(join(f.root, 'm/moved/b/f.txt'))).toBe(true);
    const clash = await f.t.client.post(`${f.api}/rename`, { from: 'm/moved', to: 'm/a' });
    expect(clash.status).toBe(409);
    expect(clash.body.error.field).toBe('body.to');
  });
  it('deletes to the trash and restores', async () => {
    const del = await f.t.client.delete(`${f.api}/delete?path=${q('m/moved')}`);
    expect(del.status).toBe(200);
    expect(existsSync(join(f.root, 'm/moved'))).toBe(false);
    const list = await f.t.client.get(`${f.api}/trash`);
    const item = list.body.items.find((i: { path: string }) => i.path === 'm/moved');
    expect(item).toMatchObject({ type: 'dir', deletedBy: 'admin', rootIndex: 0 });
    const restored = await f.t.client.post(`${f.api}/trash/restore`, { id: item.id });
    expect(restored.status).toBe(200);
    expect(readFileSync(join(f.root, 'm/moved/b/f.txt'), 'utf8')).toBe('data');
    expect(
      (await f.t.client.get(`${f.api}/trash`)).body.items.some((i: { id: string }) => i.id === item.id),
    ).toBe(false);
    // Restoring over a path that exists again is refused; purge removes for good.
    const d2 = await f.t.client.delete(`${f.api}/delete?path=m/moved`);
    mkdirSync(join(f.root, 'm/moved'));
    expect((await f.t.client.post(`${f.api}/trash/restore`, { id: d2.body.trashed.id })).status).toBe(409);
    expect((await f.t.client.delete(`${f.api}/trash?id=${d2.body.trashed.id}`)).status).toBe(200);
    expect((await f.t.client.post(`${f.api}/trash/restore`, { id: d2.body.trashed.id })).status).toBe(404);
    expect((await f.t.client.delete(`${f.api}/delete?path=`)).status).toBe(400);
  });
});

describe('search', () => {
  beforeAll(() => {
    mkdirSync(join(f.root, 's/deep/er'), { recursive: true });
    for (let i = 0; i < 20; i++)
      writeFileSync(join(f.root, 's', `log-${i}.txt`), i === 7 ? 'line one\nneedle here\n' : 'nothing');
    writeFileSync(join(f.root, 's/deep/er/needle.conf'), 'x');
  });
  it('finds by name and by content, within limits', async () => {
    const byName = await f.t.client.get(`${f.api}/search?path=s&name=NEEDLE`);
    expect(byName.body.hits).toEqual([{ path: 's/deep/er/needle.conf', type: 'file' }]);
    const byContent = await f.t.client.get(`${f.api}/search?path=s&content=needle`);
    expect(byContent.body.hits).toEqual([
      { path: 's/log-7.txt', type: 'file', line: 2, text: 'needle here' },
    ]);
    const limited = await f.t.client.get(`${f.api}/search?path=s&name=log&limit=5`);
    expect(limited.body.hits).toHaveLength(5);
    expect(limited.body.truncated).toBe(true);
    expect((await f.t.client.get(`${f.api}/search?path=s`)).status).toBe(400);
    expect((await f.t.client.get(`${f.api}/search?path=s&name=x&limit=100000`)).body.error.field).toBe(
      'query.limit',
    );
  });
});

describe('download', () => {
  beforeAll(() => {
    writeFileSync(join(f.root, 'range.bin'), Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)));
    mkdirSync(join(f.root, 'zipme/sub'), { recursive: true });
    writeFileSync(join(f.root, 'zipme/one.txt'), 'one');
    writeFileSync(join(f.root, 'zipme/sub/two.txt'), 'two');
  });
  it('streams a whole file and byte ranges', async () => {
    const all = await raw(`${f.api}/download?path=range.bin`);
    expect(all.status).toBe(200);
    expect(all.headers.get('accept-ranges')).toBe('bytes');
    expect((await all.arrayBuffer()).byteLength).toBe(1000);
    const part = await raw(`${f.api}/download?path=range.bin`, { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const suffix = await raw(`${f.api}/download?path=range.bin`, { range: 'bytes=-3' });
    expect([...new Uint8Array(await suffix.arrayBuffer())]).toEqual([997 % 256, 998 % 256, 999 % 256]);
    const open = await raw(`${f.api}/download?path=range.bin`, { range: 'bytes=995-' });
    expect((await open.arrayBuffer()).byteLength).toBe(5);
    const bad = await raw(`${f.api}/download?path=range.bin`, { range: 'bytes=2000-3000' });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */1000');
    const stale = await raw(`${f.api}/download?path=range.bin`, {
      range: 'bytes=0-1',
      'if-range': 'W/"old"',
    });
    expect(stale.status).toBe(200);
  });
  it('downloads a folder as a zip', async () => {
    const res = await raw(`${f.api}/download?path=zipme`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const buf = Buffer.from(await res.arrayBuffer());
    const names = await new Promise<string[]>((resolve, reject) =>
      yauzl.fromBuffer(buf, { lazyEntries: false }, (error, zip) => {
        if (error || !zip) return reject(error);
        const seen: string[] = [];
        zip.on('entry', (e: yauzl.Entry) => seen.push(e.fileName));
        zip.on('end', () => resolve(seen));
      }),
    );
    expect(names.sort()).toEqual(['zipme/', 'zipme/one.txt', 'zipme/sub/', 'zipme/sub/two.txt']);
  });
});

describe('compress and extract', () => {
  beforeAll(() => {
    mkdirSync(join(f.root, 'arch/src/nested'), { recursive: true });
    writeFileSync(join(f.root, 'arch/src/a.txt'), 'alpha');
    writeFileSync(join(f.root, 'arch/src/nested/b.txt'), 'beta');
    writeFileSync(join(f.root, 'arch/c.txt'), 'gamma');
  });
  for (const ext of ['zip', 'tar.gz'] as const) {
    it(`round-trips a ${ext}`, async () => {
      const made = await f.t.client.post(`${f.api}/compress`, {
        paths: ['arch/src', 'arch/c.txt'],
        to: `arch/out.${ext}`,
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      expect(made.body.format).toBe(ext);
      const again = await f.t.client.post(`${f.api}/compress`, {
        paths: ['arch/src'],
        to: `arch/out.${ext}`,
      });
      expect(again.status).toBe(409);
      const out = await f.t.client.post(`${f.api}/extract`, { path: `arch/out.${ext}` });
      expect(out.status, JSON.stringify(out.body)).toBe(200);
      expect(out.body.path).toBe('arch/out');
      expect(readFileSync(join(f.root, 'arch/out/src/nested/b.txt'), 'utf8')).toBe('beta');
      expect(readFileSync(join(f.root, 'arch/out/c.txt'), 'utf8')).toBe('gamma');
      // Extracting again does not overwrite what is there.
      const clash = await f.t.client.post(`${f.api}/extract`, { path: `arch/out.${ext}` });
      expect(clash.status).toBe(409);
      await f.t.client.delete(`${f.api}/delete?path=arch/out`);
    });
  }
  it('refuses paths from different folders and unknown formats', async () => {
    const mixed = await f.t.client.post(`${f.api}/compress`, {
      paths: ['arch/c.txt', 'arch/src/a.txt'],
      to: 'x.zip',
    });
    expect(mixed.status).toBe(400);
    const fmt = await f.t.client.post(`${f.api}/compress`, { paths: ['arch/c.txt'], to: 'x.rar' });
    expect(fmt.body.error.field).toBe('body.to');
  });
});

describe('roles', () => {
  it('lets viewers read but not write, and only admins chown', async () => {
    const viewer = await f.t.clientAs('viewer');
    expect((await viewer.get(`${f.api}/list`)).status).toBe(200);
    const w = await viewer.post(`${f.api}/write`, { path: 'v.txt', content: 'x' });
    expect(w.status).toBe(403);
    expect(w.body.error.code).toBe('WEBCASA_FORBIDDEN');
    const operator = await f.t.clientAs('operator');
    expect((await operator.post(`${f.api}/write`, { path: 'o.txt', content: 'x' })).status).toBe(200);
    expect((await operator.post(`${f.api}/chown`, { path: 'o.txt', uid: 0, gid: 0 })).status).toBe(403);
    const own = statSync(join(f.root, 'o.txt'));
    expect(
      (await f.t.client.post(`${f.api}/chown`, { path: 'o.txt', uid: own.uid, gid: own.gid })).status,
    ).toBe(200);
  });
  it('uses the sandbox under the data folder when no root is configured', async () => {
    const reset = await f.t.client.put('/api/admin/plugins/files/config', { roots: [] });
    expect(reset.status).toBe(200);
    const roots = await f.t.client.get(`${f.api}/roots`);
    expect(roots.body.items).toEqual([{ index: 0, path: join(f.t.dataDir, 'plugins', 'files', 'sandbox') }]);
    await f.t.client.put('/api/admin/plugins/files/config', { roots: [f.root] });
    expect((await f.t.client.get(`${f.api}/roots`)).body.items[0].path).toBe(f.root);
  });
});

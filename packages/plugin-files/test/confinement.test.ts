import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { checkEntryName, confine, splitRelative } from '../src/confine.js';
import { type Fixture, q, startFiles } from './helpers.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFiles();
  mkdirSync(join(f.root, 'docs'));
  writeFileSync(join(f.root, 'docs', 'ok.txt'), 'fine');
  symlinkSync(f.outside, join(f.root, 'out-dir'));
  symlinkSync(join(f.outside, 'secret.txt'), join(f.root, 'out-file'));
  symlinkSync('../outside/secret.txt', join(f.root, 'docs', 'rel-out'));
  symlinkSync('/etc', join(f.root, 'etc-link'));
  symlinkSync(join(f.outside, 'not-yet.txt'), join(f.root, 'dangling'));
  symlinkSync(join(f.root, 'docs'), join(f.root, 'docs-link')); // inside: allowed
});
afterAll(() => f.stop());

/** Raw query strings: these reach the panel exactly as an attacker would send them. */
const hostile: [string, string][] = [
  ['parent', '..'],
  ['parent slash', '../'],
  ['parent file', '../outside/secret.txt'],
  ['nested parent', 'docs/../../outside/secret.txt'],
  ['deep parent', 'docs/../../../../../../etc/passwd'],
  ['dot dot in middle', 'docs/./../..'],
  ['absolute etc', '/etc/passwd'],
  ['absolute root', '/'],
  ['absolute outside', '__OUTSIDE__/secret.txt'],
  ['tilde', '~/.ssh/id_rsa'],
  ['tilde root', '~root'],
  ['windows drive', 'C:/Windows/win.ini'],
  ['backslash parent', '..\\outside\\secret.txt'],
  ['backslash nested', 'docs\\..\\..\\outside'],
  ['NUL', 'docs/ok.txt%00.png'],
  ['NUL alone', '%00'],
  ['newline', 'docs/ok.txt%0a'],
  ['encoded dots', '%2e%2e/outside/secret.txt'],
  ['encoded slash', '..%2foutside%2fsecret.txt'],
  ['double encoded dots', '%252e%252e/outside/secret.txt'],
  ['double encoded slash', '..%252foutside'],
  ['mixed case encoding', '%2E%2E%2Foutside'],
  ['encoded backslash', '..%5coutside'],
  ['double encoded NUL', 'docs%2500'],
  ['triple dots', '.../outside'],
  ['symlink dir out', 'out-dir/secret.txt'],
  ['symlink dir out itself', 'out-dir'],
  ['symlink file out', 'out-file'],
  ['relative symlink out', 'docs/rel-out'],
  ['symlink to /etc', 'etc-link/passwd'],
  ['dangling symlink out', 'dangling'],
  ['new file under symlink out', 'out-dir/new.txt'],
  ['parent that would come back', 'docs/..'],
  ['unicode fullwidth is a name, parent is not', '%EF%BC%8E%EF%BC%8E/../outside'],
];

describe('hostile paths are refused with 403 WEBCASA_FILES_FORBIDDEN', () => {
  it('has at least 30 of them', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30);
  });
  for (const [label, raw] of hostile) {
    it(`GET read: ${label}`, async () => {
      const path = raw.replace('__OUTSIDE__', encodeURIComponent(f.outside));
      const res = await f.t.client.get(`${f.api}/read?path=${path.replace(/\\/g, '%5C')}`);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'WEBCASA_FILES_FORBIDDEN', field: 'query.path' });
    });
  }
  it('list, download, stat and delete refuse them too', async () => {
    for (const route of ['list', 'download', 'stat']) {
      const res = await f.t.client.get(`${f.api}/${route}?path=${q('../outside')}`);
      expect(res.status).toBe(403);
    }
    const del = await f.t.client.delete(`${f.api}/delete?path=out-file`);
    expect(del.status).toBe(403);
    expect(existsSync(join(f.outside, 'secret.txt'))).toBe(true);
  });
  it('writes through a symlink out, or into a dangling one, are refused and create nothing', async () => {
    for (const path of ['out-dir/new.txt', 'dangling', 'out-file', '../outside/x.txt', '/tmp/x.txt']) {
      const res = await f.t.client.post(`${f.api}/write`, { path, content: 'pwned' });
      expect(res.status, path).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'WEBCASA_FILES_FORBIDDEN', field: 'body.path' });
    }
    expect(readdirSync(f.outside).sort()).toEqual(['secret.txt']);
  });
  it('rename and copy refuse a target or source outside', async () => {
    const a = await f.t.client.post(`${f.api}/rename`, { from: 'docs/ok.txt', to: '../outside/stolen.txt' });
    expect(a.status).toBe(403);
    expect(a.body.error.field).toBe('body.to');
    const b = await f.t.client.post(`${f.api}/copy`, { from: 'out-file', to: 'docs/copy.txt' });
    expect(b.status).toBe(403);
    expect(b.body.error.field).toBe('body.from');
  });
  it('allows safe paths, including a symlink that stays inside the root', async () => {
    expect((await f.t.client.get(`${f.api}/read?path=docs/ok.txt`)).body.content).toBe('fine');
    expect((await f.t.client.get(`${f.api}/read?path=docs-link/ok.txt`)).body.content).toBe('fine');
    expect((await f.t.client.get(`${f.api}/read?path=./docs//ok.txt`)).status).toBe(200);
    expect((await f.t.client.get(`${f.api}/list?path=`)).status).toBe(200);
  });
});

describe('confine() unit checks', () => {
  it('splits safe relative paths and refuses hostile ones', () => {
    expect(splitRelative('a/./b//c/')).toEqual(['a', 'b', 'c']);
    expect(() => splitRelative('a/../b')).toThrow(/\.\./);
    expect(() => splitRelative('a\u0000b')).toThrow(/NUL/);
  });
  it('resolves a missing tail under a real folder and refuses a symlink out', async () => {
    const r = await confine(f.root, 'docs/new/deeper.txt');
    expect(r.abs).toBe(join(f.root, 'docs', 'new', 'deeper.txt'));
    expect(r.exists).toBe(false);
    await expect(confine(f.root, 'out-dir/x/y')).rejects.toMatchObject({ status: 403 });
  });
  it('checks archive entry names', () => {
    expect(checkEntryName('a/b/')).toEqual(['a', 'b']);
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', 'a\\..\\x', 'C:/x']) {
      expect(() => checkEntryName(bad), bad).toThrow(/zip-slip/);
    }
  });
});

/** Build a zip whose entry names yazl would refuse, by patching same-length placeholders. */
async function craftZip(
  entries: { name: string; placeholder: string; data?: string; mode?: number }[],
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    zip.addBuffer(Buffer.from(e.data ?? 'x'), e.placeholder, e.mode ? { mode: e.mode } : {});
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  let buf = Buffer.concat(chunks);
  for (const e of entries) {
    expect(e.name.length).toBe(e.placeholder.length);
    buf = Buffer.from(buf.toString('latin1').split(e.placeholder).join(e.name), 'latin1');
  }
  return buf;
}

describe('zip-slip and hostile archives are refused before anything is written', () => {
  const cases: [string, { name: string; placeholder: string; mode?: number }[]][] = [
    ['zip ../ entry', [{ name: '../evil.txt', placeholder: 'AA/evil.txt' }]],
    ['zip deep ../ entry', [{ name: 'a/../../../evil.txt', placeholder: 'a/AA/AA/AA/evil.txt' }]],
    ['zip absolute entry', [{ name: '/tmp/evil.txt', placeholder: 'Xtmp/evil.txt' }]],
    ['zip backslash entry', [{ name: '..\\evil.txt', placeholder: 'AAXevil.txt' }]],
    [
      'zip good then evil',
      [
        { name: 'good.txt', placeholder: 'good.txt' },
        { name: '../evil2.txt', placeholder: 'BB/evil2.txt' },
      ],
    ],
    ['zip symlink entry', [{ name: 'link', placeholder: 'link', mode: 0o120777 }]],
  ];
  for (const [label, entries] of cases) {
    it(label, async () => {
      const archive = await craftZip(entries);
      const name = `${label.replace(/\W+/g, '-')}.zip`;
      writeFileSync(join(f.root, name), archive);
      const res = await f.t.client.post(`${f.api}/extract`, { path: name, to: 'extracted' });
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.error.code).toBe('WEBCASA_FILES_FORBIDDEN');
      expect(existsSync(join(f.root, 'extracted'))).toBe(false);
      expect(existsSync(join(f.root, '..', 'evil.txt'))).toBe(false);
      expect(existsSync('/tmp/evil.txt')).toBe(false);
    });
  }
  it('tar.gz with ../ entries', async () => {
    const work = join(f.root, 'tarwork', 'inner');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(f.root, 'tarwork', 'escape.txt'), 'x');
    await tar.c({ gzip: true, file: join(f.root, 'slip.tar.gz'), cwd: work, preservePaths: true }, [
      '../escape.txt',
    ]);
    const res = await f.t.client.post(`${f.api}/extract`, { path: 'slip.tar.gz', to: 'tar-out' });
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(existsSync(join(f.root, 'tar-out'))).toBe(false);
  });
  it('tar.gz with a symlink pointing out', async () => {
    const work = join(f.root, 'tarlink');
    mkdirSync(work);
    symlinkSync('/etc', join(work, 'etc'));
    await tar.c({ gzip: true, file: join(f.root, 'link.tar.gz'), cwd: f.root }, ['tarlink']);
    const res = await f.t.client.post(`${f.api}/extract`, { path: 'link.tar.gz', to: 'link-out' });
    expect(res.status).toBe(403);
    expect(existsSync(join(f.root, 'link-out'))).toBe(false);
  });
  it('an extract destination through a symlink out is refused', async () => {
    const res = await f.t.client.post(`${f.api}/extract`, { path: 'slip.tar.gz', to: 'out-dir/x' });
    expect(res.status).toBe(403);
    expect(res.body.error.field).toBe('body.to');
  });
});

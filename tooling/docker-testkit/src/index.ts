import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Helpers for test suites that need a real Docker engine.
 *
 * Nothing can be pulled on the test machines, so images are built locally:
 * Debian's `busybox-static` binary plus its applet links, packed into a tar and
 * given to the engine's import endpoint (what `docker import` does). The
 * engine is Debian's `docker.io`; `.ci/run` installs and starts it, and
 * `ensureDocker()` starts it itself when a developer runs one suite by hand.
 */

export const DEFAULT_SOCKET = '/var/run/docker.sock';
/** The default test image: busybox with a shell, httpd, wget and friends. */
export const BUSYBOX_IMAGE = 'webcasa-test/busybox:1';

const APPLETS = [
  'sh',
  'ls',
  'cat',
  'echo',
  'sleep',
  'httpd',
  'wget',
  'env',
  'printf',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'touch',
  'grep',
  'head',
  'tail',
  'wc',
  'date',
  'id',
  'hostname',
  'true',
  'false',
  'test',
  'nc',
  'ps',
  'kill',
  'top',
  'yes',
  'seq',
  'dd',
  'tee',
  'sed',
  'awk',
  'find',
  'chmod',
  'stat',
  'uname',
];

export function dockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return DEFAULT_SOCKET;
}

/** One request to the engine's HTTP API over its Unix socket. */
export function engineRequest(
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
  socketPath = dockerSocket(),
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`docker engine request ${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function pingable(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return false;
  try {
    const res = await engineRequest('GET', '/_ping', undefined, {}, socketPath);
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Make sure a Docker engine answers on the socket. Starts Debian's `dockerd`
 * in the background (as root, logging to the temp dir) when none does, and
 * waits up to a minute for it. Throws with the reason otherwise: a suite that
 * needs Docker fails loudly rather than skipping.
 */
export async function ensureDocker(socketPath = dockerSocket()): Promise<void> {
  if (await pingable(socketPath)) return;
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!dockerd) {
    throw new Error(
      'No Docker engine answers and dockerd is not installed: apt-get install -y docker.io docker-compose',
    );
  }
  if (process.getuid?.() !== 0)
    throw new Error(`No Docker engine answers on ${socketPath} (start dockerd as root)`);
  const log = openSync(join(tmpdir(), 'webcasa-dockerd.log'), 'a');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  for (let i = 0; i < 120; i++) {
    if (await pingable(socketPath)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `dockerd did not answer on ${socketPath} within 60 s (see ${join(tmpdir(), 'webcasa-dockerd.log')})`,
  );
}

/** A POSIX tar archive built in memory (ustar headers; files and symlinks only). */
function tarEntry(
  name: string,
  type: 'file' | 'dir' | 'symlink',
  data: Buffer,
  linkName = '',
  mode = 0o755,
): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 8, 'ascii');
  header.write('0000000\0', 108, 8, 'ascii');
  header.write('0000000\0', 116, 8, 'ascii');
  const size = type === 'file' ? data.length : 0;
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  header.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    12,
    'ascii',
  );
  header.write('        ', 148, 8, 'ascii');
  header.write(type === 'file' ? '0' : type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  header.write(linkName, 157, 100, 'utf8');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  if (type !== 'file') return header;
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512, 0);
  data.copy(padded);
  return Buffer.concat([header, padded]);
}

async function busyboxRootfsTar(): Promise<Buffer> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is not installed: apt-get install -y busybox-static');
  const { readFile } = await import('node:fs/promises');
  const binary = await readFile(busybox);
  const parts: Buffer[] = [
    tarEntry('bin/', 'dir', Buffer.alloc(0)),
    tarEntry('bin/busybox', 'file', binary),
    tarEntry('tmp/', 'dir', Buffer.alloc(0), '', 0o1777),
    tarEntry('etc/', 'dir', Buffer.alloc(0)),
    tarEntry(
      'etc/passwd',
      'file',
      Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n'),
      '',
      0o644,
    ),
    tarEntry('etc/group', 'file', Buffer.from('root:x:0:\nnogroup:x:65534:\n'), '', 0o644),
  ];
  for (const applet of APPLETS)
    parts.push(tarEntry(`bin/${applet}`, 'symlink', Buffer.alloc(0), 'busybox', 0o777));
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/**
 * Make sure `tag` exists in the engine, built from busybox-static when it does
 * not. Extra tags (e.g. the names an app store's compose file asks for) can be
 * given; each is created from the same image. Returns the image id.
 */
export async function ensureBusyboxImage(tag = BUSYBOX_IMAGE, ...aliases: string[]): Promise<string> {
  await ensureDocker();
  const inspect = async (name: string) => {
    const res = await engineRequest('GET', `/images/${encodeURIComponent(name)}/json`);
    return res.status === 200 ? (JSON.parse(res.body) as { Id: string }).Id : undefined;
  };
  let id = await inspect(tag);
  if (!id) {
    const [repo, version = 'latest'] = splitTag(tag);
    const changes = encodeURIComponent('CMD ["/bin/sh"]');
    const tar = await busyboxRootfsTar();
    const res = await engineRequest(
      'POST',
      `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(version)}&changes=${changes}`,
      tar,
      { 'content-type': 'application/x-tar', 'content-length': String(tar.length) },
    );
    if (res.status !== 200) throw new Error(`docker import failed (${res.status}): ${res.body}`);
    id = await inspect(tag);
    if (!id)
      throw new Error(`docker import of ${tag} reported success but the image is missing: ${res.body}`);
  }
  for (const alias of aliases) {
    if (await inspect(alias)) continue;
    const [repo, version = 'latest'] = splitTag(alias);
    const res = await engineRequest(
      'POST',
      `/images/${encodeURIComponent(tag)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(version)}`,
    );
    if (res.status !== 201) throw new Error(`docker tag ${tag} ${alias} failed (${res.status}): ${res.body}`);
  }
  return id;
}

/** `registry:5000/name:tag` → [`registry:5000/name`, `tag`]. */
export function splitTag(ref: string): [string, string | undefined] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, undefined];
}

/** Remove every container (and optionally volume/network) whose name starts with `prefix`. For test cleanup. */
export async function removeContainersByPrefix(prefix: string): Promise<void> {
  const res = await engineRequest('GET', '/containers/json?all=1');
  if (res.status !== 200) return;
  const list = JSON.parse(res.body) as { Id: string; Names: string[] }[];
  for (const c of list) {
    if (c.Names.some((n) => n.replace(/^\//, '').startsWith(prefix))) {
      await engineRequest('DELETE', `/containers/${c.Id}?force=1&v=1`);
    }
  }
}

/**
 * Remove networks whose name starts with `prefix` (compose names a project's network
 * `<project>_default`). Call it after the containers are gone.
 * Leftover networks use up the engine's address pools until creating one fails.
 */
export async function removeNetworksByPrefix(prefix: string): Promise<void> {
  const res = await engineRequest('GET', '/networks');
  if (res.status !== 200) return;
  const list = JSON.parse(res.body) as { Id: string; Name: string }[];
  for (const n of list) {
    if (!n.Name.startsWith(prefix)) continue;
    // Endpoints of just-removed containers are released a moment later (403 "has active
    // endpoints" until then): retry for up to 5 s.
    for (let attempt = 0; attempt < 25; attempt++) {
      const del = await engineRequest('DELETE', `/networks/${n.Id}`);
      if (del.status !== 403 && del.status !== 409) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Write a throwaway file into a fresh temp dir (handy for compose projects in tests). */
export async function tempDirWith(
  files: Record<string, string>,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'webcasa-docker-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

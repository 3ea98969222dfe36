import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { FilesError } from './errors.js';

export interface Entry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtime: number;
  mode: string;
  uid: number;
  gid: number;
}

export function entryFrom(name: string, s: Stats): Entry {
  return {
    name,
    type: s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other',
    size: s.size,
    mtime: Math.round(s.mtimeMs),
    mode: (s.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: s.uid,
    gid: s.gid,
  };
}

export const MAX_LIST = 100_000;

export async function listDir(
  abs: string,
  opts: { offset: number; limit: number; sort: 'name' | 'size' | 'mtime' | 'type'; order: 'asc' | 'desc' },
): Promise<{ total: number; items: Entry[] }> {
  const names = await readdir(abs);
  if (names.length > MAX_LIST) names.length = MAX_LIST;
  const entries: Entry[] = [];
  for (const name of names) {
    const s = await lstat(join(abs, name)).catch(() => null);
    if (s) entries.push(entryFrom(name, s));
  }
  const dir = opts.order === 'asc' ? 1 : -1;
  entries.sort((a, b) => {
    // Folders first whatever the order, as every file manager does.
    if ((a.type === 'dir') !== (b.type === 'dir')) return a.type === 'dir' ? -1 : 1;
    let d = 0;
    if (opts.sort === 'size') d = a.size - b.size;
    else if (opts.sort === 'mtime') d = a.mtime - b.mtime;
    else if (opts.sort === 'type') d = a.type.localeCompare(b.type);
    if (d === 0) d = a.name.localeCompare(b.name);
    return d * dir;
  });
  return { total: entries.length, items: entries.slice(opts.offset, opts.offset + opts.limit) };
}

/** ETag of a file's content (editor files are small: the size guard applies before this). */
export function contentEtag(data: Buffer | string): string {
  return `"${createHash('sha256').update(data).digest('base64url').slice(0, 27)}"`;
}

/** A cheap validator for downloads: size, mtime and inode. */
export function statEtag(s: Stats): string {
  return `W/"${s.size.toString(36)}-${Math.round(s.mtimeMs).toString(36)}-${s.ino.toString(36)}"`;
}

export async function readText(
  abs: string,
  maxBytes: number,
): Promise<{ content: string; etag: string; size: number; binary: boolean }> {
  const s = await stat(abs);
  if (s.isDirectory()) throw new FilesError(400, 'WEBCASA_FILES_IS_A_FOLDER', 'is a folder', 'query.path');
  if (s.size > maxBytes) {
    throw new FilesError(
      413,
      'WEBCASA_FILES_TOO_LARGE',
      `file is ${s.size} bytes; the editor opens up to ${maxBytes}`,
      'query.path',
    );
  }
  const data = await readFile(abs);
  const binary = data.subarray(0, 8000).includes(0);
  return { content: binary ? '' : data.toString('utf8'), etag: contentEtag(data), size: s.size, binary };
}

/** Write atomically (temp file + rename); when `etag` is given, the current content must match it. */
export async function writeText(
  abs: string,
  content: string,
  etag: string | null | undefined,
): Promise<{ etag: string; size: number }> {
  const current = await readFile(abs).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (etag === null && current !== null) {
    throw new FilesError(412, 'WEBCASA_FILES_ETAG_MISMATCH', 'the file already exists', 'body.etag');
  }
  if (typeof etag === 'string' && (current === null || contentEtag(current) !== etag)) {
    throw new FilesError(
      412,
      'WEBCASA_FILES_ETAG_MISMATCH',
      'the file changed since it was read; reload it',
      'body.etag',
    );
  }
  const s = current ? await stat(abs) : null;
  const tmp = join(dirname(abs), `.${randomBytes(6).toString('hex')}.webcasa-tmp`);
  const data = Buffer.from(content, 'utf8');
  await writeFile(tmp, data, { mode: s ? s.mode & 0o7777 : 0o644 });
  try {
    await rename(tmp, abs);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return { etag: contentEtag(data), size: data.length };
}

/** Move that also works across file systems. */
export async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, {
      recursive: true,
      errorOnExist: true,
      force: false,
      verbatimSymlinks: true,
      preserveTimestamps: true,
    });
    await rm(from, { recursive: true, force: true });
  }
}

export async function copy(from: string, to: string): Promise<void> {
  if (to === from || to.startsWith(from + sep)) {
    throw new FilesError(400, 'WEBCASA_FILES_INTO_ITSELF', 'cannot copy a folder into itself', 'body.to');
  }
  await cp(from, to, {
    recursive: true,
    errorOnExist: true,
    force: false,
    verbatimSymlinks: true,
    preserveTimestamps: true,
  });
}

export async function exists(abs: string): Promise<boolean> {
  return lstat(abs).then(
    () => true,
    () => false,
  );
}

export { chmod, chown, mkdir };

export interface SearchHit {
  path: string;
  type: Entry['type'];
  line?: number;
  text?: string;
}

/**
 * Search names (substring, case-insensitive) and optionally contents under `abs`, bounded by the
 * number of results, entries visited, bytes read per file and time. Symlinks are not followed.
 */
export async function search(
  abs: string,
  rel: string,
  opts: {
    name?: string;
    content?: string;
    limit: number;
    maxEntries: number;
    maxFileBytes: number;
    deadline: number;
  },
): Promise<{ hits: SearchHit[]; truncated: boolean; visited: number }> {
  const hits: SearchHit[] = [];
  const name = opts.name?.toLowerCase();
  let visited = 0;
  const truncated = false;
  const queue: [string, string][] = [[abs, rel]];
  while (queue.length > 0) {
    const [dir, dirRel] = queue.shift() as [string, string];
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) {
      if (hits.length >= opts.limit || visited >= opts.maxEntries || Date.now() > opts.deadline) {
        return { hits, truncated: true, visited };
      }
      visited++;
      const full = join(dir, n);
      const childRel = dirRel ? `${dirRel}/${n}` : n;
      const s = await lstat(full).catch(() => null);
      if (!s) continue;
      const e = entryFrom(n, s);
      if (e.type === 'dir') queue.push([full, childRel]);
      const nameOk = !name || n.toLowerCase().includes(name);
      if (!nameOk) continue;
      if (opts.content === undefined) {
        hits.push({ path: childRel, type: e.type });
        continue;
      }
      if (e.type !== 'file' || s.size > opts.maxFileBytes) continue;
      const found = await grepFile(full, opts.content);
      if (found) hits.push({ path: childRel, type: 'file', ...found });
    }
  }
  return { hits, truncated, visited };
}

async function grepFile(file: string, needle: string): Promise<{ line: number; text: string } | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const data = await handle.readFile();
    if (data.subarray(0, 8000).includes(0)) return null;
    const lines = data.toString('utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.includes(needle)) return { line: i + 1, text: line.slice(0, 200) };
    }
    return null;
  } finally {
    await handle.close();
  }
}

export { createReadStream };

import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { checkEntryName, confine } from './confine.js';
import { FilesError, forbidden } from './errors.js';

/** Zip: yazl (write) and yauzl (read); tar.gz: node-tar. */
export type ArchiveFormat = 'zip' | 'tar.gz';

export const MAX_ARCHIVE_ENTRIES = 100_000;

export function formatOf(name: string): ArchiveFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return null;
}

/** Files and folders under `abs` (not following symlinks), as [absolute, archive name] pairs. */
async function walk(
  abs: string,
  name: string,
  out: { abs: string; name: string; dir: boolean }[],
): Promise<void> {
  const s = await lstat(abs);
  if (out.length >= MAX_ARCHIVE_ENTRIES) {
    throw new FilesError(
      413,
      'WEBCASA_FILES_TOO_MANY',
      `more than ${MAX_ARCHIVE_ENTRIES} entries`,
      'body.paths',
    );
  }
  if (s.isSymbolicLink()) return; // never follow (or store) links
  if (s.isDirectory()) {
    out.push({ abs, name, dir: true });
    for (const child of (await readdir(abs)).sort()) await walk(join(abs, child), `${name}/${child}`, out);
  } else if (s.isFile()) out.push({ abs, name, dir: false });
}

/** A zip of `sources` (absolute paths, each stored under its base name), as a stream. */
export async function zipStream(sources: string[]): Promise<NodeJS.ReadableStream> {
  const entries: { abs: string; name: string; dir: boolean }[] = [];
  for (const source of sources) await walk(source, basename(source), entries);
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.dir) zip.addEmptyDirectory(e.name);
    else zip.addFile(e.abs, e.name); // yazl opens each file only when it is its turn
  }
  zip.end();
  return zip.outputStream;
}

/** Write an archive of `sources` (all in one folder) to `target`, through a temp file. */
export async function compress(sources: string[], target: string, format: ArchiveFormat): Promise<void> {
  const tmp = join(dirname(target), `.${basename(target)}.webcasa-tmp`);
  try {
    if (format === 'zip') {
      await pipeline(await zipStream(sources), createWriteStream(tmp, { flags: 'wx' }));
    } else {
      const cwd = dirname(sources[0] as string);
      await tar.c(
        { gzip: true, file: tmp, cwd, portable: true, follow: false },
        sources.map((s) => basename(s)),
      );
    }
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

interface ZipEntryInfo {
  name: string;
  dir: boolean;
  symlink: boolean;
  entry: yauzl.Entry;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, autoClose: false }, (error, zip) =>
      error || !zip
        ? reject(
            new FilesError(
              400,
              'WEBCASA_FILES_BAD_ARCHIVE',
              `not a zip file: ${error?.message}`,
              'body.path',
            ),
          )
        : resolve(zip),
    ),
  );
}

async function zipEntries(zip: yauzl.ZipFile): Promise<ZipEntryInfo[]> {
  const list: ZipEntryInfo[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (list.length >= MAX_ARCHIVE_ENTRIES) {
        reject(new FilesError(413, 'WEBCASA_FILES_TOO_MANY', 'too many entries', 'body.path'));
        return;
      }
      const raw = entry.fileName as unknown as Buffer;
      const name = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
      const unixMode = (entry.externalFileAttributes >>> 16) & 0o170000;
      list.push({ name, dir: name.endsWith('/'), symlink: unixMode === 0o120000, entry });
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (e: Error) =>
      reject(new FilesError(400, 'WEBCASA_FILES_BAD_ARCHIVE', e.message, 'body.path')),
    );
    zip.readEntry();
  });
  return list;
}

/**
 * Extract `archive` into `destReal` (a confined folder). Every entry name is checked before
 * anything is written: an absolute name, a `..`, a backslash, a NUL or a link leaving the
 * destination refuses the whole archive with 403 (zip-slip). Each entry's final path is then
 * resolved with realpath so that a symlink already inside the destination cannot redirect it.
 */
export async function extract(
  archive: string,
  destReal: string,
  format: ArchiveFormat,
): Promise<{ entries: number }> {
  if (format === 'zip') {
    const zip = await openZip(archive);
    try {
      const entries = await zipEntries(zip);
      for (const e of entries) {
        checkEntryName(e.name);
        if (e.symlink)
          throw forbidden(`archive entry "${e.name.slice(0, 200)}" is a symlink; refused`, 'body.path');
      }
      for (const e of entries) {
        const target = await confine(destReal, e.name.replace(/\/+$/, ''), 'body.path');
        if (target.exists && !e.dir) {
          throw new FilesError(
            409,
            'WEBCASA_FILES_EXISTS',
            `${target.rel} already exists in the destination`,
            'body.to',
          );
        }
      }
      for (const e of entries) {
        const target = await confine(destReal, e.name.replace(/\/+$/, ''), 'body.path');
        if (e.dir) {
          await mkdir(target.abs, { recursive: true });
          continue;
        }
        await mkdir(dirname(target.abs), { recursive: true });
        await confine(
          destReal,
          posix.dirname(target.rel) === '.' ? '' : posix.dirname(target.rel),
          'body.path',
        );
        const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
          zip.openReadStream(e.entry, (error, s) => (error || !s ? reject(error) : resolve(s))),
        );
        await pipeline(stream, createWriteStream(target.abs, { flags: 'wx', mode: 0o644 }));
      }
      return { entries: entries.length };
    } finally {
      zip.close();
    }
  }
  // tar.gz: list first (nothing written), then extract with node-tar's own protections on too.
  const names: { path: string; dir: boolean }[] = [];
  const problems: string[] = [];
  await tar
    .t({
      file: archive,
      onReadEntry: (entry) => {
        if (names.length >= MAX_ARCHIVE_ENTRIES) problems.push('too many entries');
        names.push({ path: entry.path, dir: entry.type === 'Directory' });
        try {
          checkEntryName(entry.path);
        } catch {
          problems.push(entry.path);
        }
        if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
          const linkpath = entry.linkpath ?? '';
          const base = entry.type === 'Link' ? '.' : posix.dirname(entry.path);
          const resolved = posix.normalize(posix.join(base, linkpath));
          if (linkpath.startsWith('/') || resolved === '..' || resolved.startsWith('../'))
            problems.push(entry.path);
        }
      },
    })
    .catch((e: Error) => {
      throw new FilesError(400, 'WEBCASA_FILES_BAD_ARCHIVE', `not a tar.gz file: ${e.message}`, 'body.path');
    });
  if (problems.length > 0) {
    throw forbidden(
      `archive entry "${(problems[0] as string).slice(0, 200)}" would leave the destination (zip-slip)`,
      'body.path',
    );
  }
  for (const name of names) {
    const target = await confine(destReal, name.path.replace(/\/+$/, ''), 'body.path');
    if (target.exists && !name.dir) {
      throw new FilesError(
        409,
        'WEBCASA_FILES_EXISTS',
        `${target.rel} already exists in the destination`,
        'body.to',
      );
    }
  }
  await tar.x({
    file: archive,
    cwd: destReal,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    keep: true,
  });
  return { entries: names.length };
}

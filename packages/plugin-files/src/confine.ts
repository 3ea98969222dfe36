import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { forbidden } from './errors.js';

/**
 * Paths in the API are relative to one of the configured roots ("docs/a.txt"; "" or "." is the
 * root itself). Everything that could leave the root is refused with 403
 * `WEBCASA_FILES_FORBIDDEN` before any file is touched: absolute paths, `..` segments, NUL and
 * other control bytes, backslashes, percent-encoded dots/slashes left after the one decoding
 * the HTTP layer does, and — after resolving with realpath — symlinks pointing out of the root
 * (dangling symlinks included, since writing through one could create a file outside).
 */
export function splitRelative(input: string, field = 'query.path'): string[] {
  if (typeof input !== 'string') throw forbidden('path must be a string', field);
  if (input.length > 4096) throw forbidden('path is too long', field);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control bytes is the point
  if (/[\u0000-\u001f\u007f]/.test(input)) throw forbidden('path contains a NUL or control character', field);
  if (input.includes('\\')) throw forbidden('path contains a backslash', field);
  if (/%(2e|2f|5c|00|25)/i.test(input)) throw forbidden('path contains an encoded dot, slash or NUL', field);
  if (input.startsWith('/') || input.startsWith('~') || /^[a-zA-Z]:/.test(input)) {
    throw forbidden('path must be relative to its root', field);
  }
  const segments: string[] = [];
  for (const segment of input.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || /^\.{3,}$/.test(segment)) throw forbidden('path may not contain ..', field);
    if (segment.length > 255) throw forbidden('a path segment is too long', field);
    segments.push(segment);
  }
  return segments;
}

export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

export interface Resolved {
  /** The real root folder (realpath). */
  root: string;
  /** The absolute, real path of the target (its missing tail appended as given). */
  abs: string;
  /** The path relative to the root, with `/` separators ('' for the root). */
  rel: string;
  /** Whether the target exists. */
  exists: boolean;
}

/** Resolve `input` under `rootReal` (already a realpath) and prove that it stays there. */
export async function confine(rootReal: string, input: string, field = 'query.path'): Promise<Resolved> {
  const segments = splitRelative(input, field);
  const target = join(rootReal, ...segments);
  const missing: string[] = [];
  let cursor = target;
  let real: string | undefined;
  for (let i = 0; i <= segments.length; i++) {
    try {
      real = await realpath(cursor);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw forbidden(`path cannot be resolved (${code})`, field);
      // A name that exists but cannot be resolved is a dangling symlink: following it on write
      // could create a file anywhere, so it is refused.
      const exists = await lstat(cursor).then(
        () => true,
        () => false,
      );
      if (exists) throw forbidden('path goes through a dangling symlink', field);
      missing.unshift(basename(cursor));
      cursor = dirname(cursor);
    }
  }
  if (real === undefined) throw forbidden('root is missing', field);
  const abs = missing.length ? join(real, ...missing) : real;
  if (!isInside(rootReal, abs)) throw forbidden('path leaves its root', field);
  const relative = abs === rootReal ? '' : abs.slice(rootReal.length + (rootReal.endsWith(sep) ? 0 : 1));
  return { root: rootReal, abs, rel: relative.split(sep).join('/'), exists: missing.length === 0 };
}

/**
 * Check an archive entry name (zip or tar) before extracting anything: the name must be relative
 * and stay inside the destination (zip-slip). Returns the safe segments.
 */
export function checkEntryName(name: string, field = 'body.path'): string[] {
  const normalized = name.replace(/\/+$/, '');
  if (normalized === '' || normalized === '.') return [];
  try {
    return splitRelative(normalized, field);
  } catch {
    throw forbidden(`archive entry "${name.slice(0, 200)}" would leave the destination (zip-slip)`, field);
  }
}

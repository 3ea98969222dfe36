import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WebcasaError } from '../errors.js';

export interface RotationOptions {
  /** Rotate a file once it is larger than this. Default 10 MiB (env `WEBCASA_LOG_MAX_BYTES`). */
  maxBytes?: number;
  /** Rotated files kept (`<file>.1` … `<file>.<keep>`). Default 5 (env `WEBCASA_LOG_KEEP`). */
  keep?: number;
}

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_LOG_KEEP = 5;
/** Highest rotated index the reader and the rotation know of. */
export const MAX_LOG_KEEP = 999;

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new WebcasaError(
      'WEBCASA_BAD_LOG_ROTATION',
      `${name}="${raw}" is not a whole number from ${min} to ${max}`,
    );
  }
  return Number(raw);
}

/**
 * Rotation settings: the given ones, else `WEBCASA_LOG_MAX_BYTES` / `WEBCASA_LOG_KEEP`, else
 * 10 MiB and 5. A malformed variable throws (`WEBCASA_BAD_LOG_ROTATION`) rather than being ignored.
 *
 * @example
 * rotationOptions({}, { WEBCASA_LOG_MAX_BYTES: '1048576' }); // { maxBytes: 1048576, keep: 5 }
 */
export function rotationOptions(
  options: RotationOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Required<RotationOptions> {
  return {
    maxBytes: options.maxBytes ?? envInt(env, 'WEBCASA_LOG_MAX_BYTES', DEFAULT_LOG_MAX_BYTES, 1024, 2 ** 40),
    keep: options.keep ?? envInt(env, 'WEBCASA_LOG_KEEP', DEFAULT_LOG_KEEP, 0, MAX_LOG_KEEP),
  };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rotate `file` now: `<file>.<keep-1>` → `<file>.<keep>` … `<file>` → `<file>.1`, and delete
 * rotated files past `keep` (with `keep` 0 the file is deleted). The writer must reopen `file`
 * afterwards, or it keeps writing to `<file>.1`.
 *
 * @example
 * rotate('/var/lib/webcasa/logs/docker.log', 5);
 */
export function rotate(file: string, keep: number): void {
  const dir = dirname(file);
  const base = basename(file);
  // Anything past `keep` goes first (also files left by a larger `keep` earlier).
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue;
    const suffix = name.slice(base.length + 1);
    if (/^\d+$/.test(suffix) && Number(suffix) >= keep) unlinkSync(join(dir, name));
  }
  if (keep === 0) {
    if (exists(file)) unlinkSync(file);
    return;
  }
  for (let i = keep - 1; i >= 1; i--) {
    const from = `${file}.${i}`;
    if (exists(from)) renameSync(from, `${file}.${i + 1}`);
  }
  if (exists(file)) renameSync(file, `${file}.1`);
}

/**
 * Rotate `file` if it is larger than `maxBytes`; true when it did. A missing file is not rotated.
 *
 * @example
 * if (rotateIfNeeded(path, { maxBytes: 10 * 1024 * 1024, keep: 5 })) destination.reopen();
 */
export function rotateIfNeeded(file: string, options: RotationOptions = {}): boolean {
  const { maxBytes, keep } = rotationOptions(options);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  rotate(file, keep);
  return true;
}

export interface RotationCheckerOptions extends RotationOptions {
  /** The files to watch over; called at each check, so files opened later are included. */
  files: () => Iterable<string>;
  /** Called right after `file` was rotated: reopen its writer here. */
  onRotated: (file: string) => void;
  /** Called when checking or rotating a file failed; the checker carries on. */
  onError?: (error: unknown, file: string) => void;
  /** Time between checks. Default 10 s. */
  intervalMs?: number;
}

export interface RotationChecker {
  /** Check every file now; returns the rotated ones. */
  check(): string[];
  stop(): void;
}

/**
 * Check files every `intervalMs` and rotate those past `maxBytes` (a file may overshoot by what
 * is written in one interval). Synchronous, so no line is written between the rename and the
 * reopen. The timer does not keep the process alive.
 *
 * @example
 * const checker = startRotationChecker({
 *   files: () => paths, onRotated: () => loggers.reopen(),
 * });
 * // on shutdown:
 * checker.stop();
 */
export function startRotationChecker(options: RotationCheckerOptions): RotationChecker {
  const settings = rotationOptions(options);
  function check(): string[] {
    const rotated: string[] = [];
    for (const file of options.files()) {
      try {
        if (rotateIfNeeded(file, settings)) {
          rotated.push(file);
          options.onRotated(file);
        }
      } catch (error) {
        options.onError?.(error, file);
      }
    }
    return rotated;
  }
  const timer = setInterval(check, options.intervalMs ?? 10_000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}

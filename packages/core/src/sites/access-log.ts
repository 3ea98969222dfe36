import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** One request from a site's access log (Caddy's JSON access log, trimmed for display). */
export interface AccessLogEntry {
  /** ISO time. */
  time: string;
  remoteIp: string | null;
  method: string | null;
  host: string | null;
  uri: string | null;
  proto: string | null;
  status: number | null;
  durationMs: number | null;
  size: number | null;
  userAgent: string | null;
  /** Basic-auth user, if any. */
  user: string | null;
}

/** Parse one JSON line of Caddy's access log; undefined when it is not one. */
export function parseAccessLine(line: string): AccessLogEntry | undefined {
  let raw: any;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object') return undefined;
  const req = raw.request ?? {};
  const ts = typeof raw.ts === 'number' ? raw.ts * 1000 : Date.parse(raw.ts);
  return {
    time: Number.isFinite(ts) ? new Date(ts).toISOString() : new Date(0).toISOString(),
    remoteIp: req.client_ip ?? req.remote_ip ?? null,
    method: req.method ?? null,
    host: req.host ?? null,
    uri: req.uri ?? null,
    proto: req.proto ?? null,
    status: typeof raw.status === 'number' ? raw.status : null,
    durationMs: typeof raw.duration === 'number' ? Math.round(raw.duration * 1e6) / 1e3 : null,
    size: typeof raw.size === 'number' ? raw.size : null,
    userAgent: req.headers?.['User-Agent']?.[0] ?? null,
    user: raw.user_id || null,
  };
}

/**
 * The last `count` lines of a file, reading backwards in chunks (at most `maxBytes`).
 * A missing file has no lines.
 */
export function tailLines(file: string, count: number, maxBytes = 8 * 1024 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const size = statSync(file).size;
    const chunk = 64 * 1024;
    let pos = size;
    let text = '';
    // Bounded: stops at the start of the file or after maxBytes.
    while (pos > 0 && size - pos < maxBytes) {
      const len = Math.min(chunk, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      if (text.split('\n').length > count + 1) break;
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    // The first line may be cut in half when we did not read from the start.
    if (pos > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

/**
 * Call `onLines` with lines appended to `file` from now on (polling; survives
 * rotation and the file appearing later). Returns the function that stops it.
 */
export function followFile(file: string, onLines: (lines: string[]) => void, everyMs = 500): () => void {
  let offset = sizeOf(file);
  let partial = '';
  const timer = setInterval(() => {
    const size = sizeOf(file);
    if (size < offset) {
      offset = 0; // rotated or truncated
      partial = '';
    }
    if (size === offset) return;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const len = Math.min(size - offset, 1024 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, offset);
      offset += len;
      const text = partial + buf.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      const complete = lines.filter((l) => l.trim() !== '');
      if (complete.length) onLines(complete);
    } finally {
      closeSync(fd);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

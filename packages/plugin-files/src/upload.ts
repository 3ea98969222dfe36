import { randomBytes } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { FilesError } from './errors.js';

/**
 * Largest chunk, and the chunk size the server hands out in the init answer: 8 MiB. The panel
 * allows bodies this large on the chunk route only (the manifest's `http.bodyLimits`; every other
 * route keeps the panel's 1 MiB). Fewer, larger requests: a 1 GiB upload is 128 requests through
 * auth and audit instead of 1024.
 */
export const MAX_CHUNK = 8 * 1024 * 1024;

export interface UploadState {
  id: string;
  rootIndex: number;
  path: string;
  size: number;
  overwrite: boolean;
  createdAt: number;
  createdBy: string;
}

/** Bytes gathered before they are written: eight writes per full chunk. */
const SEGMENT = 1024 * 1024;

/** Write `buffer[from, to)` at `base + from`, however many calls the kernel needs. */
async function writeAll(
  handle: FileHandle,
  buffer: Buffer,
  from: number,
  to: number,
  base: number,
): Promise<void> {
  for (let at = from; at < to; ) {
    const { bytesWritten } = await handle.write(buffer, at, to - at, base + at);
    at += bytesWritten;
  }
}

/** Wait for every write, then throw the first failure (never leave one running). */
async function settleAll(writes: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** An upload being written: its state, the bytes so far, and the part file kept open between chunks. */
interface Active {
  state: UploadState;
  offset: number;
  handle: FileHandle;
  busy: boolean;
  lastUsed: number;
  /** Where a chunk's body pieces are gathered before they are written (allocated on first use). */
  buffer?: Buffer;
}

/**
 * Chunked, resumable uploads. The state lives on disk (`<dataDir>/uploads/<id>.json`, written
 * once, and the bytes so far in `<id>.part`), so an upload resumes after a panel restart: the
 * offset is the size of the part file. There is no per-chunk state write to batch or to get
 * wrong: the only claim of progress is the part file's own size, which the file system never
 * reports larger than what it holds, and `finished` flushes the part (fdatasync) before the
 * caller moves it into place.
 *
 * Speed: while an upload is active its state and an open handle on the part file stay in memory
 * (`Active`), so a chunk costs no JSON read, stat or open/close; the request body is written
 * piece by piece at its offset as it arrives (no buffering, no stream adapters). Memory stays
 * bounded by the body pieces in flight, never the chunk's or the file's size.
 */
export class Uploads {
  private readonly active = new Map<string, Active>();

  constructor(private readonly dir: string) {}

  private file(id: string, ext: 'json' | 'part'): string {
    if (!/^u_[a-z0-9]+$/.test(id))
      throw new FilesError(404, 'WEBCASA_FILES_NO_UPLOAD', `no upload ${id.slice(0, 40)}`, 'params.id');
    return join(this.dir, `${id}.${ext}`);
  }

  async create(state: Omit<UploadState, 'id' | 'createdAt'>): Promise<UploadState & { offset: number }> {
    await mkdir(this.dir, { recursive: true });
    const id = `u_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
    const full: UploadState = { ...state, id, createdAt: Date.now() };
    await writeFile(this.file(id, 'part'), '');
    // Temp file + rename: a crash never leaves a half-written state file behind.
    const json = this.file(id, 'json');
    await writeFile(`${json}.tmp`, JSON.stringify(full));
    await rename(`${json}.tmp`, json);
    return { ...full, offset: 0 };
  }

  async get(id: string): Promise<UploadState & { offset: number }> {
    const live = this.active.get(id);
    if (live) return { ...live.state, offset: live.offset };
    try {
      const state = JSON.parse(await readFile(this.file(id, 'json'), 'utf8')) as UploadState;
      const { size } = await stat(this.file(id, 'part'));
      return { ...state, offset: size };
    } catch (error) {
      if (error instanceof FilesError) throw error;
      throw new FilesError(404, 'WEBCASA_FILES_NO_UPLOAD', `no upload ${id.slice(0, 40)}`, 'params.id');
    }
  }

  /** The in-memory entry of an upload, opening its part file on first use. */
  private async activate(id: string): Promise<Active> {
    const live = this.active.get(id);
    if (live) return live;
    const state = await this.get(id);
    const handle = await open(this.file(id, 'part'), 'r+');
    // Two first chunks racing: keep the entry that won, close our handle.
    const raced = this.active.get(id);
    if (raced) {
      await handle.close();
      return raced;
    }
    const { offset, ...rest } = state;
    const entry: Active = { state: rest, offset, handle, busy: false, lastUsed: Date.now() };
    this.active.set(id, entry);
    return entry;
  }

  /** Append a chunk at `offset`, which must equal the bytes received so far (409 otherwise). */
  async append(
    id: string,
    offset: number,
    body: WebReadableStream<Uint8Array> | null,
    declared: number,
  ): Promise<number> {
    const entry = await this.activate(id);
    const { state } = entry;
    if (entry.busy) {
      throw new FilesError(
        409,
        'WEBCASA_FILES_UPLOAD_BUSY',
        'another chunk of this upload is being written',
        'query.offset',
      );
    }
    if (offset !== entry.offset) {
      throw new FilesError(
        409,
        'WEBCASA_FILES_UPLOAD_OFFSET',
        `expected offset ${entry.offset}, got ${offset}`,
        'query.offset',
      );
    }
    if (declared > MAX_CHUNK)
      throw new FilesError(
        413,
        'WEBCASA_FILES_CHUNK_TOO_LARGE',
        `chunks are at most ${MAX_CHUNK} bytes`,
        'body',
      );
    if (offset + declared > state.size) {
      throw new FilesError(400, 'WEBCASA_BAD_REQUEST', 'chunk goes past the declared size', 'body');
    }
    if (!body) return entry.offset;
    entry.busy = true;
    entry.lastUsed = Date.now();
    // The body arrives in small pieces (often 16–64 KiB). They are gathered in one buffer per
    // upload (reused, as large as a chunk), and every full segment of it is written at its
    // position at once, without waiting: the disk writes of one segment overlap the arrival of
    // the next, and a chunk costs eight writes instead of hundreds. A chunk never outgrows the
    // buffer, so no segment is reused before its write has finished (all are awaited below).
    entry.buffer ??= Buffer.allocUnsafe(MAX_CHUNK);
    const buffer = entry.buffer;
    const writes: Promise<void>[] = [];
    let filled = 0;
    let flushed = 0;
    const flush = () => {
      if (filled > flushed) {
        const write = writeAll(entry.handle, buffer, flushed, filled, offset);
        // Handled here so a failure while the body is still arriving is not an unhandled
        // rejection; settleAll below still sees it.
        write.catch(() => {});
        writes.push(write);
      }
      flushed = filled;
    };
    const reader = body.getReader();
    try {
      // Bounded: a chunk is at most MAX_CHUNK bytes, and every piece read is at least one byte.
      for (let piece = 0; piece <= MAX_CHUNK; piece++) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.length === 0) continue;
        if (filled + value.length > MAX_CHUNK || offset + filled + value.length > state.size) {
          throw new FilesError(413, 'WEBCASA_FILES_CHUNK_TOO_LARGE', 'chunk too large', 'body');
        }
        // Positional writes: a failed chunk is overwritten by its retry instead of duplicated.
        buffer.set(value, filled);
        filled += value.length;
        if (filled - flushed >= SEGMENT) flush();
      }
      flush();
      await settleAll(writes);
      const position = offset + filled;
      entry.offset = position;
      return position;
    } catch (error) {
      // No write may land after the cut below.
      await Promise.allSettled(writes);
      // Unlocked, so the route can read (bounded) what the client still sends and answer.
      try {
        reader.releaseLock();
      } catch {
        /* a read was still pending: the stream is broken anyway */
      }
      // Keep only what was received whole: cut the part file back to the chunk's start.
      await entry.handle.truncate(offset).catch(() => {});
      entry.offset = offset;
      throw error;
    } finally {
      entry.busy = false;
      entry.lastUsed = Date.now();
    }
  }

  /** Close the part file of an upload (it stays resumable from disk). */
  private async deactivate(id: string): Promise<void> {
    const entry = this.active.get(id);
    if (!entry) return;
    this.active.delete(id);
    await entry.handle.close().catch(() => {});
  }

  /** Close part files of uploads idle for `idleMs` (and all of them with 0, when the plugin stops). */
  async closeIdle(idleMs: number, now = Date.now()): Promise<number> {
    let closed = 0;
    for (const [id, entry] of [...this.active]) {
      if (!entry.busy && now - entry.lastUsed >= idleMs) {
        await this.deactivate(id);
        closed++;
      }
    }
    return closed;
  }

  /** The part file once every byte arrived; the caller moves it into place and calls `remove`. */
  async finished(id: string): Promise<{ state: UploadState; part: string }> {
    const live = this.active.get(id);
    if (live?.busy)
      throw new FilesError(409, 'WEBCASA_FILES_UPLOAD_BUSY', 'a chunk is still being written', 'params.id');
    // Durable before it is moved into place: one flush per upload, not one per chunk.
    if (live && live.offset === live.state.size) await live.handle.datasync();
    await this.deactivate(id);
    const state = await this.get(id);
    if (state.offset !== state.size) {
      throw new FilesError(
        409,
        'WEBCASA_FILES_UPLOAD_INCOMPLETE',
        `received ${state.offset} of ${state.size} bytes`,
        'params.id',
      );
    }
    return { state, part: this.file(id, 'part') };
  }

  async remove(id: string): Promise<void> {
    await this.deactivate(id);
    await rm(this.file(id, 'json'), { force: true });
    await rm(this.file(id, 'part'), { force: true });
  }

  /** Drop uploads untouched for `maxAgeMs`. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of (await readdir(this.dir).catch(() => [] as string[])).slice(0, 10_000)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (this.active.has(id)) continue;
      const s = await stat(join(this.dir, `${id}.part`)).catch(() => null);
      if (!s || now - s.mtimeMs > maxAgeMs) {
        await this.remove(id).catch(() => {});
        removed++;
      }
    }
    return removed;
  }
}

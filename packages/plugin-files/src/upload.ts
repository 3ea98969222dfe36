import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { FilesError } from './errors.js';

/** Largest chunk: the panel refuses request bodies over 1 MiB. */
export const MAX_CHUNK = 1024 * 1024;

export interface UploadState {
  id: string;
  rootIndex: number;
  path: string;
  size: number;
  overwrite: boolean;
  createdAt: number;
  createdBy: string;
}

/**
 * Chunked, resumable uploads. The state lives on disk (`<dataDir>/uploads/<id>.json` and the
 * bytes so far in `<id>.part`), so an upload resumes after a panel restart: the offset is the
 * size of the part file. Each chunk is streamed to the part file; memory stays bounded by the
 * stream buffers, never the file's size.
 */
export class Uploads {
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
    await writeFile(this.file(id, 'json'), JSON.stringify(full));
    return { ...full, offset: 0 };
  }

  async get(id: string): Promise<UploadState & { offset: number }> {
    try {
      const state = JSON.parse(await readFile(this.file(id, 'json'), 'utf8')) as UploadState;
      const { size } = await stat(this.file(id, 'part'));
      return { ...state, offset: size };
    } catch (error) {
      if (error instanceof FilesError) throw error;
      throw new FilesError(404, 'WEBCASA_FILES_NO_UPLOAD', `no upload ${id.slice(0, 40)}`, 'params.id');
    }
  }

  /** Append a chunk at `offset`, which must equal the bytes received so far (409 otherwise). */
  async append(
    id: string,
    offset: number,
    body: WebReadableStream<Uint8Array> | null,
    declared: number,
  ): Promise<number> {
    const state = await this.get(id);
    if (offset !== state.offset) {
      throw new FilesError(
        409,
        'WEBCASA_FILES_UPLOAD_OFFSET',
        `expected offset ${state.offset}, got ${offset}`,
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
    if (!body) return state.offset;
    let received = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > MAX_CHUNK || offset + received > state.size) {
          done(new FilesError(413, 'WEBCASA_FILES_CHUNK_TOO_LARGE', 'chunk too large', 'body'));
        } else done(null, chunk);
      },
    });
    // 'r+' at a position: a failed chunk is overwritten by its retry instead of duplicated.
    const out = createWriteStream(this.file(id, 'part'), { flags: 'r+', start: offset });
    try {
      await pipeline(Readable.fromWeb(body), limit, out);
    } catch (error) {
      // Keep only what was received whole: cut the part file back to the chunk's start.
      const { truncate } = await import('node:fs/promises');
      await truncate(this.file(id, 'part'), offset).catch(() => {});
      throw error;
    }
    return offset + received;
  }

  /** The part file once every byte arrived; the caller moves it into place and calls `remove`. */
  async finished(id: string): Promise<{ state: UploadState; part: string }> {
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
    await rm(this.file(id, 'json'), { force: true });
    await rm(this.file(id, 'part'), { force: true });
  }

  /** Drop uploads untouched for `maxAgeMs`. */
  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of (await readdir(this.dir).catch(() => [] as string[])).slice(0, 10_000)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      const s = await stat(join(this.dir, `${id}.part`)).catch(() => null);
      if (!s || now - s.mtimeMs > maxAgeMs) {
        await this.remove(id).catch(() => {});
        removed++;
      }
    }
    return removed;
  }
}

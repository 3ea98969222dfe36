import { type FSWatcher, statSync, watch } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { MAX_LINE_BYTES } from './reader.js';

export interface LogTailOptions {
  /** Fallback poll interval, for file systems where `fs.watch` says nothing. Default 1000 ms. */
  pollMs?: number;
  /** Use `fs.watch` besides polling. Default true. */
  watch?: boolean;
  /** Longer lines are skipped. Default 1 MiB. */
  maxLineBytes?: number;
  /** Called when a listener throws or a read fails; following carries on. */
  onError?: (error: unknown, file: string) => void;
}

export type LineListener = (line: string) => void;

export interface TailSubscription {
  /**
   * Byte offset in the file where the lines this subscription receives begin: read the
   * backlog up to here (`readLog(file, { end })`) and nothing is missed or repeated.
   */
  readonly position: number;
  unsubscribe(): void;
}

export interface LogTail {
  /**
   * Follow `file` from its current end: `listener` gets every complete line appended from now
   * on, across rotation (the file renamed and created again) and truncation. One follower per
   * file is shared by all its subscribers, so 100 tails cost one watcher and one read.
   */
  follow(file: string, listener: LineListener): TailSubscription;
  /** Files followed now. */
  readonly followed: number;
  /** Subscribers of `file` now. */
  subscribers(file: string): number;
  /** Stop every follower. */
  close(): void;
}

const READ_CHUNK = 64 * 1024;
/** Chunks read in one go before yielding to the event loop, so a burst cannot starve it. */
const CHUNKS_PER_TURN = 64;

class Follower {
  readonly listeners = new Set<LineListener>();
  private handle: FileHandle | undefined;
  private ino: number | undefined;
  private offset = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private reading = false;
  private again = false;
  private stopped = false;
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);
  private readonly timer: NodeJS.Timeout;
  private watcher: FSWatcher | undefined;

  constructor(
    readonly file: string,
    private readonly options: Required<Omit<LogTailOptions, 'onError'>> & Pick<LogTailOptions, 'onError'>,
  ) {
    // Synchronous, so the first subscriber learns its start position at once.
    try {
      const st = statSync(file);
      this.ino = st.ino;
      this.offset = st.size;
    } catch {
      // Not there yet: follow it from its first byte once it appears.
    }
    this.timer = setInterval(() => this.kick(), options.pollMs);
    this.timer.unref();
    if (options.watch) {
      try {
        // The directory, not the file: a watch on the file is lost when rotation renames it.
        const base = basename(file);
        this.watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
          if (!name || name === base) this.kick();
        });
        this.watcher.on('error', () => {
          this.watcher?.close();
          this.watcher = undefined;
        });
      } catch {
        this.watcher = undefined; // polling alone
      }
    }
  }

  /** Start of the next line to be delivered. */
  get position(): number {
    return this.offset - this.pendingBytes;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    this.drain()
      .catch((error: unknown) => this.options.onError?.(error, this.file))
      .finally(() => {
        this.reading = false;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.watcher?.close();
    const handle = this.handle;
    this.handle = undefined;
    void handle?.close().catch(() => {});
  }

  private async drain(): Promise<void> {
    // Bounded: each round reads bytes, switches files once, or returns.
    for (let round = 0; round < CHUNKS_PER_TURN; round++) {
      if (this.stopped) return;
      if (!this.handle) {
        let handle: FileHandle;
        try {
          // Regular files only, as the reader: a symlink in the logs folder is not followed.
          if (!(await lstat(this.file)).isFile()) return;
          handle = await open(this.file, 'r');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
        if (this.stopped) {
          await handle.close();
          return;
        }
        const st = await handle.stat();
        // Another file under the same name (rotated before we first read): start at its beginning.
        if (this.ino !== undefined && st.ino !== this.ino) this.restart();
        this.ino = st.ino;
        this.handle = handle;
      }
      const handle = this.handle;
      const size = (await handle.stat()).size;
      if (size < this.offset) this.restart(); // truncated in place
      if (size > this.offset) {
        const length = Math.min(READ_CHUNK, size - this.offset);
        const { bytesRead } = await handle.read(this.buf, 0, length, this.offset);
        if (this.stopped || bytesRead === 0) return;
        this.offset += bytesRead;
        this.consume(this.buf.subarray(0, bytesRead));
        continue;
      }
      // At the end of what we hold: has the name moved on to a new file?
      let current: number | undefined;
      try {
        current = (await stat(this.file)).ino;
      } catch {
        return; // renamed away, not created again yet: the next event or poll looks again
      }
      if (current === this.ino) return;
      // Rotated. Bytes may have reached the old file after the size check above: read them
      // first (the writer moved on before the rename was visible, so the old file is final).
      if ((await handle.stat()).size > this.offset) continue;
      this.handle = undefined;
      await handle.close().catch(() => {});
      this.flushPending();
      this.ino = current;
      this.offset = 0;
    }
    // More to read than one turn allows: continue after other work had its turn.
    setImmediate(() => this.kick());
  }

  private restart(): void {
    this.offset = 0;
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private consume(bytes: Buffer): void {
    let start = 0;
    // Bounded by the chunk's length.
    while (start < bytes.length) {
      const nl = bytes.indexOf(0x0a, start);
      if (nl === -1) {
        const rest = bytes.subarray(start);
        if (!this.skipping && this.pendingBytes + rest.length <= this.options.maxLineBytes) {
          this.pending.push(Buffer.from(rest));
          this.pendingBytes += rest.length;
        } else {
          // Too long to keep: drop it up to its end. Its bytes still count for `position`.
          this.pending = [];
          this.pendingBytes = 0;
          this.skipping = true;
        }
        return;
      }
      const piece = bytes.subarray(start, nl);
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pendingBytes + piece.length <= this.options.maxLineBytes) {
        const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
        this.emit(line);
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
  }

  private flushPending(): void {
    if (this.pending.length && !this.skipping) this.emit(Buffer.concat(this.pending));
    this.restart();
  }

  private emit(bytes: Buffer): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    if (end === 0) return;
    const line = bytes.toString('utf8', 0, end);
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch (error) {
        this.options.onError?.(error, this.file);
      }
    }
  }
}

/**
 * Follow log files as they grow, shared between subscribers: `fs.watch` on the file's directory
 * for prompt delivery plus a poll as a fallback. A follower starts at the file's end, reads the
 * appended bytes from its last offset, and survives rotation (inode changed: the old file is
 * read to its end, then the new one from its start) and truncation (size below the offset:
 * start over). A follower stops when its last subscriber leaves.
 *
 * @example
 * const tail = createLogTail();
 * const sub = tail.follow('/var/lib/webcasa/logs/docker.log', (line) => console.log(line));
 * const backlog = await readLog('/var/lib/webcasa/logs/docker.log', { lines: 100, end: sub.position });
 * sub.unsubscribe();
 */
export function createLogTail(options: LogTailOptions = {}): LogTail {
  const settings = {
    pollMs: options.pollMs ?? 1000,
    watch: options.watch ?? true,
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    onError: options.onError,
  };
  const followers = new Map<string, Follower>();
  return {
    follow(file, listener) {
      const path = resolve(file);
      let follower = followers.get(path);
      if (!follower) {
        follower = new Follower(path, settings);
        followers.set(path, follower);
      }
      const f = follower;
      // A listener added twice still gets each line once; wrap so each subscription is its own.
      const own: LineListener = (line) => listener(line);
      f.listeners.add(own);
      let active = true;
      return {
        position: f.position,
        unsubscribe() {
          if (!active) return;
          active = false;
          f.listeners.delete(own);
          if (f.listeners.size === 0 && followers.get(path) === f) {
            f.stop();
            followers.delete(path);
          }
        },
      };
    },
    get followed() {
      return followers.size;
    },
    subscribers(file) {
      return followers.get(resolve(file))?.listeners.size ?? 0;
    },
    close() {
      for (const f of followers.values()) {
        f.listeners.clear();
        f.stop();
      }
      followers.clear();
    },
  };
}

import type { Duplex } from 'node:stream';
import { HttpError, WebcasaError } from '../errors.js';
import {
  DATA_CHUNK_BYTES,
  dataFrameHeader,
  encodeJsonFrame,
  FRAME_JSON,
  type Frame,
  FrameDecoder,
  FrameError,
  MAX_FRAME_BYTES,
} from './frame.js';

/** Methods one side answers: name → params and result. */
export type MethodMap = Record<string, { params: unknown; result: unknown }>;
/** Notifications one side accepts: name → params. */
export type NoteMap = Record<string, unknown>;

/** The JSON shape an error takes on the wire. Stacks never cross. */
export interface WireError {
  code: string;
  message: string;
  status: number;
  name?: string;
  field?: string;
  details?: Record<string, unknown>;
}

/** The channel closed (the other process exited or broke the protocol) before an answer came. */
export class PeerClosedError extends WebcasaError {
  constructor(message: string) {
    super('WEBCASA_RPC_CLOSED', message, 502);
    this.name = 'PeerClosedError';
  }
}

export class RpcTimeoutError extends WebcasaError {
  constructor(message: string) {
    super('WEBCASA_RPC_TIMEOUT', message, 504);
    this.name = 'RpcTimeoutError';
  }
}

/** Serialise any thrown value for the wire: typed errors keep code, status, field and details. */
export function toWireError(error: unknown): WireError {
  if (error instanceof WebcasaError) {
    const out: WireError = {
      code: error.code,
      message: error.message,
      status: error.status,
      name: error.name,
    };
    if (error instanceof HttpError && error.field) out.field = error.field;
    if (error.details) out.details = error.details;
    return out;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'WEBCASA_REMOTE_ERROR',
      message: error.message,
      status: 500,
      name: error.name,
    };
  }
  return { code: 'WEBCASA_REMOTE_ERROR', message: String(error), status: 500 };
}

/**
 * Rebuild a wire error. Client errors (status < 500) become {@link HttpError}s,
 * so the HTTP layer answers them as it would in-process; the rest are plain
 * {@link WebcasaError}s, whose messages the HTTP layer hides from clients.
 */
export function fromWireError(wire: WireError): WebcasaError {
  const status = typeof wire.status === 'number' ? wire.status : 500;
  const error =
    status < 500
      ? new HttpError(status, wire.code, wire.message, wire.field, wire.details)
      : new WebcasaError(wire.code, wire.message, status, wire.details);
  if (wire.name && wire.name !== 'Error') error.name = wire.name;
  return error;
}

export interface CallOptions {
  /** Reject with {@link RpcTimeoutError} (and cancel on the other side) after this long. 0: never. */
  timeoutMs?: number;
  /** Cancels the call on the other side when aborted. */
  signal?: AbortSignal;
  /**
   * What an abort does here: `reject` at once (default), or `forward` only the
   * cancellation and keep waiting for the other side's answer (runs use this,
   * so their clean-up still reports back).
   */
  onAbort?: 'reject' | 'forward';
  /** The params hold only JSON values (skips byte-string and bigint tagging). */
  plain?: boolean;
}

export interface HandlerContext {
  /** Aborted when the caller cancels, times out, or the channel closes. */
  readonly signal: AbortSignal;
}

export interface RpcPeerOptions {
  /** Names this side in error messages, e.g. `plugin docker (pid 4242)`. */
  name: string;
  /** Which stream ids this side allocates: 1 for odd (the host), 0 for even (the child). */
  streamParity: 0 | 1;
  maxFrameBytes?: number;
  /** Unacknowledged bytes a stream may have in flight. Default 1 MiB. */
  streamWindowBytes?: number;
  /** Bytes queued for a peer that does not read, after which the channel is closed. Default 64 MiB. */
  maxWriteBufferBytes?: number;
  /** An incoming stream no one claims within this long is cancelled. Default 30 s. */
  unclaimedStreamMs?: number;
  /** How many streams may be open in each direction at once. Default 256. */
  maxStreams?: number;
}

type Message =
  | { t: 'q'; i: number; m: string; p: unknown }
  | { t: 'r'; i: number; r: unknown }
  | { t: 'e'; i: number; e: WireError }
  | { t: 'c'; i: number }
  | { t: 'n'; m: string; p: unknown }
  | { t: 'se'; s: number }
  | { t: 'sx'; s: number; e: WireError }
  | { t: 'sa'; s: number; n: number }
  | { t: 'sc'; s: number };

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  cleanup(): void;
}

class OutgoingStream {
  credit: number;
  cancelled = false;
  private wake: (() => void) | undefined;
  constructor(
    readonly id: number,
    window: number,
  ) {
    this.credit = window;
  }
  addCredit(n: number): void {
    this.credit += n;
    this.poke();
  }
  onCancel: (() => void) | undefined;
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.poke();
    this.onCancel?.();
  }
  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  waitForCredit(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

class IncomingStream {
  readonly queue: Buffer[] = [];
  queuedBytes = 0;
  ended = false;
  error: Error | undefined;
  claimed = false;
  readonly createdAt = Date.now();
  private wake: (() => void) | undefined;
  constructor(readonly id: number) {}
  poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

/**
 * One end of the RPC channel between the panel and a plugin's process:
 * requests with ids and answers, cancellation, timeouts, notifications, and
 * byte streams with flow control (a sender never has more than a window of
 * unacknowledged bytes in flight, so a slow reader bounds memory on both sides).
 *
 * Frames are written in order; writes made in one job are batched into one
 * socket write.
 *
 * @example
 * const peer = new RpcPeer<ChildApi, HostApi, ChildNotes, HostNotes>(socket, { name: 'host', streamParity: 1 });
 * peer.handle('db.query', async ({ sql, parameters }) => run(sql, parameters));
 * const head = await peer.call('http', { method: 'GET', url, headers: [], body: null });
 */
export class RpcPeer<
  Out extends MethodMap = MethodMap,
  In extends MethodMap = MethodMap,
  OutNotes extends NoteMap = NoteMap,
  InNotes extends NoteMap = NoteMap,
> {
  readonly name: string;
  private readonly decoder: FrameDecoder;
  private readonly handlers = new Map<string, (params: any, ctx: HandlerContext) => unknown>();
  private readonly noteHandlers = new Map<string, (params: any) => void>();
  private readonly pending = new Map<number, Pending>();
  private readonly inflight = new Map<number, AbortController>();
  private readonly outStreams = new Map<number, OutgoingStream>();
  private readonly inStreams = new Map<number, IncomingStream>();
  private readonly closeListeners: ((reason: Error) => void)[] = [];
  private readonly window: number;
  private readonly maxWriteBuffer: number;
  private readonly unclaimedMs: number;
  private readonly maxStreams: number;
  private nextCall = 1;
  private nextStream: number;
  private queue: Buffer[] = [];
  private flushScheduled = false;
  private sweeper: NodeJS.Timeout | undefined;
  private closeReason: Error | undefined;

  constructor(
    private readonly transport: Duplex,
    options: RpcPeerOptions,
  ) {
    this.name = options.name;
    this.decoder = new FrameDecoder(options.maxFrameBytes ?? MAX_FRAME_BYTES);
    this.window = options.streamWindowBytes ?? 1024 * 1024;
    this.maxWriteBuffer = options.maxWriteBufferBytes ?? 64 * 1024 * 1024;
    this.unclaimedMs = options.unclaimedStreamMs ?? 30_000;
    this.maxStreams = options.maxStreams ?? 256;
    this.nextStream = options.streamParity === 1 ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('error', (error: Error) =>
      this.close(new PeerClosedError(`${this.name}: ${error.message}`)),
    );
    transport.on('close', () => this.close(new PeerClosedError(`${this.name}: the channel closed`)));
    transport.on('end', () => this.close(new PeerClosedError(`${this.name}: the channel closed`)));
  }

  /** Whether the channel has closed; {@link closeReason} says why. */
  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  get reason(): Error | undefined {
    return this.closeReason;
  }

  /** Bytes written but not yet taken by the other side's socket. */
  get bufferedBytes(): number {
    return this.transport.writableLength;
  }

  /** Answer requests for `method`. A thrown error is sent back with its code, status and message. */
  handle<M extends keyof In & string>(
    method: M,
    handler: (params: In[M]['params'], ctx: HandlerContext) => In[M]['result'] | Promise<In[M]['result']>,
  ): void {
    this.handlers.set(method, handler);
  }

  /** Receive notifications `method`. A notification has no answer, so what `handler` throws is dropped. */
  onNotify<M extends keyof InNotes & string>(method: M, handler: (params: InNotes[M]) => void): void {
    this.noteHandlers.set(method, handler);
  }

  /** Called once, when the channel closes, with the reason. */
  onClose(listener: (reason: Error) => void): void {
    if (this.closeReason) queueMicrotask(() => listener(this.closeReason!));
    else this.closeListeners.push(listener);
  }

  call<M extends keyof Out & string>(
    method: M,
    params: Out[M]['params'],
    options: CallOptions = {},
  ): Promise<Out[M]['result']> {
    if (this.closeReason) return Promise.reject(this.closedError(method));
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const signal = options.signal;
      const onAbort = () => {
        this.write({ t: 'c', i: id }, true);
        if ((options.onAbort ?? 'reject') === 'reject') {
          this.pending.get(id)?.cleanup();
          this.pending.delete(id);
          reject(signal?.reason ?? new DOMException('The operation was aborted', 'AbortError'));
        }
      };
      const entry: Pending = {
        method,
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.pending.set(id, entry);
      if (options.timeoutMs && options.timeoutMs > 0) {
        timer = setTimeout(() => {
          if (!this.pending.delete(id)) return;
          entry.cleanup();
          this.write({ t: 'c', i: id }, true);
          reject(new RpcTimeoutError(`${this.name}: ${method} got no answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.write({ t: 'q', i: id, m: method, p: params }, options.plain ?? false);
      } catch (error) {
        this.pending.delete(id);
        entry.cleanup();
        reject(error);
      }
    });
  }

  /** Send a notification (no answer). Dropped silently once the channel has closed. */
  notify<M extends keyof OutNotes & string>(method: M, params: OutNotes[M], plain = false): void {
    if (this.closeReason) return;
    this.write({ t: 'n', m: method, p: params }, plain);
  }

  /**
   * Send a byte stream to the other side, which reads it with {@link receiveStream}
   * under the returned id. Sending starts at once, bounded by the flow-control window.
   */
  sendStream(source: ReadableStream<Uint8Array>): number {
    const id = this.nextStream;
    this.nextStream += 2;
    if (this.nextStream > 0xfffffff0) this.nextStream = this.nextStream % 2 === 1 ? 1 : 2;
    const stream = new OutgoingStream(id, this.window);
    this.outStreams.set(id, stream);
    void this.pump(stream, source);
    return id;
  }

  /** The stream the other side sent under `id`, as a web ReadableStream. Claim each id once. */
  receiveStream(id: number): ReadableStream<Uint8Array> {
    const stream = this.inStream(id);
    if (!stream || stream.claimed) {
      return new ReadableStream({
        start: (controller) => controller.error(new PeerClosedError(`${this.name}: no stream ${id}`)),
      });
    }
    stream.claimed = true;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          for (;;) {
            const chunk = stream.queue.shift();
            if (chunk) {
              stream.queuedBytes -= chunk.length;
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if (!stream.ended && !stream.error) this.write({ t: 'sa', s: id, n: chunk.length }, true);
              return;
            }
            if (stream.error) {
              this.inStreams.delete(id);
              controller.error(stream.error);
              return;
            }
            if (stream.ended) {
              this.inStreams.delete(id);
              controller.close();
              return;
            }
            await stream.next();
          }
        },
        cancel: () => {
          if (this.inStreams.delete(id) && !stream.ended && !stream.error)
            this.write({ t: 'sc', s: id }, true);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Flush what is queued and end the channel (the other side sees it close). */
  async end(): Promise<void> {
    this.flush();
    if (this.transport.writableEnded || this.transport.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.transport.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Close the channel: pending calls reject with `reason`, handlers are aborted, streams fail. */
  close(reason: Error = new PeerClosedError(`${this.name}: closed`)): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const [, entry] of this.pending) {
      entry.cleanup();
      entry.reject(this.closedError(entry.method));
    }
    this.pending.clear();
    for (const controller of this.inflight.values()) controller.abort(reason);
    this.inflight.clear();
    for (const stream of this.outStreams.values()) stream.cancel();
    this.outStreams.clear();
    for (const stream of this.inStreams.values()) {
      stream.error ??= reason;
      stream.poke();
    }
    this.transport.destroy();
    for (const listener of this.closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch {
        // A close listener must not stop the others.
      }
    }
  }

  private closedError(method: string): Error {
    const reason = this.closeReason;
    if (reason instanceof PeerClosedError) return new PeerClosedError(`${reason.message} (during ${method})`);
    return reason ?? new PeerClosedError(`${this.name}: closed`);
  }

  private write(message: Message, plain: boolean): void {
    if (this.closeReason) return;
    this.send(encodeJsonFrame(message, plain));
  }

  private send(frame: Buffer): void {
    this.queue.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0 || this.closeReason) return;
    const frames = this.queue;
    this.queue = [];
    if (frames.length === 1) this.transport.write(frames[0]!);
    else {
      // One writev for the whole batch, without joining the buffers first.
      this.transport.cork();
      for (const frame of frames) this.transport.write(frame);
      this.transport.uncork();
    }
    if (this.transport.writableLength > this.maxWriteBuffer) {
      this.close(
        new PeerClosedError(
          `${this.name}: the other side stopped reading (${this.transport.writableLength} bytes queued)`,
        ),
      );
    }
  }

  private async drained(): Promise<void> {
    if (this.transport.writableLength < this.window || this.closeReason) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.transport.off('drain', done);
        this.transport.off('close', done);
        resolve();
      };
      this.transport.on('drain', done);
      this.transport.on('close', done);
    });
  }

  private async pump(stream: OutgoingStream, source: ReadableStream<Uint8Array>): Promise<void> {
    const reader = source.getReader();
    // A cancel (or the channel closing) must also end a read that is waiting on a slow body.
    stream.onCancel = () => void reader.cancel().catch(() => undefined);
    try {
      for (;;) {
        if (stream.cancelled) break;
        const { done, value } = await reader.read();
        if (stream.cancelled) break;
        if (done) {
          this.write({ t: 'se', s: stream.id }, true);
          break;
        }
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
        for (let at = 0; at < bytes.byteLength && !stream.cancelled; at += DATA_CHUNK_BYTES) {
          while (stream.credit <= 0 && !stream.cancelled) await stream.waitForCredit();
          if (stream.cancelled || this.closeReason) break;
          const piece = bytes.subarray(at, Math.min(bytes.byteLength, at + DATA_CHUNK_BYTES));
          stream.credit -= piece.byteLength;
          // The chunk is written as it is, after its header: no copy (like any Node stream write,
          // the producer must not change a chunk it has handed over).
          this.send(dataFrameHeader(stream.id, piece.byteLength));
          this.send(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
          await this.drained();
        }
      }
    } catch (error) {
      if (!stream.cancelled) this.write({ t: 'sx', s: stream.id, e: toWireError(error) }, false);
    } finally {
      this.outStreams.delete(stream.id);
      reader.releaseLock();
    }
  }

  private inStream(id: number): IncomingStream | undefined {
    let stream = this.inStreams.get(id);
    if (!stream) {
      // Data may arrive before the answer that names the stream; it waits here (within the window).
      if (this.inStreams.size >= this.maxStreams) {
        this.protocolError(`more than ${this.maxStreams} open streams`);
        return undefined;
      }
      stream = new IncomingStream(id);
      this.inStreams.set(id, stream);
      this.sweeper ??= setInterval(() => this.sweep(), Math.max(1000, this.unclaimedMs / 3)).unref();
    }
    return stream;
  }

  // Streams nobody claimed (their request was abandoned) are cancelled, so senders stop.
  private sweep(): void {
    const limit = Date.now() - this.unclaimedMs;
    for (const [id, stream] of this.inStreams) {
      if (!stream.claimed && stream.createdAt < limit) {
        this.inStreams.delete(id);
        if (!stream.ended && !stream.error) this.write({ t: 'sc', s: id }, true);
      }
    }
    if (this.inStreams.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private protocolError(message: string): void {
    this.close(new PeerClosedError(`${this.name}: protocol error: ${message}`));
  }

  private onData(chunk: Buffer): void {
    if (this.closeReason) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.protocolError(error instanceof FrameError ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      if (this.closeReason) return;
      if (frame.type === FRAME_JSON) this.onMessage(frame.message);
      else this.onStreamData(frame.stream, frame.chunk);
    }
  }

  private onStreamData(id: number, chunk: Buffer): void {
    const stream = this.inStream(id);
    if (!stream || stream.ended || stream.error) return;
    stream.queue.push(chunk);
    stream.queuedBytes += chunk.length;
    if (stream.queuedBytes > this.window * 2) {
      this.protocolError(`stream ${id} ignored flow control (${stream.queuedBytes} bytes unread)`);
      return;
    }
    stream.poke();
  }

  private onMessage(raw: unknown): void {
    if (raw === null || typeof raw !== 'object' || typeof (raw as { t?: unknown }).t !== 'string') {
      this.protocolError('a message is not an object with a type');
      return;
    }
    const message = raw as Message;
    switch (message.t) {
      case 'q':
        this.onRequest(message);
        return;
      case 'r': {
        const entry = this.pending.get(message.i);
        if (!entry) return; // timed out or cancelled meanwhile
        this.pending.delete(message.i);
        entry.cleanup();
        entry.resolve(message.r);
        return;
      }
      case 'e': {
        const entry = this.pending.get(message.i);
        if (!entry) return;
        this.pending.delete(message.i);
        entry.cleanup();
        entry.reject(
          fromWireError(message.e ?? { code: 'WEBCASA_REMOTE_ERROR', message: 'error', status: 500 }),
        );
        return;
      }
      case 'c':
        this.inflight
          .get(message.i)
          ?.abort(new WebcasaError('WEBCASA_RPC_CANCELLED', 'cancelled by the caller', 499));
        return;
      case 'n': {
        const handler = this.noteHandlers.get(message.m);
        if (!handler) return;
        try {
          handler(message.p);
        } catch {
          // A notification has no one to answer; its handler logs what matters.
        }
        return;
      }
      case 'se': {
        const stream = this.inStream(message.s);
        if (stream) {
          stream.ended = true;
          stream.poke();
        }
        return;
      }
      case 'sx': {
        const stream = this.inStream(message.s);
        if (stream) {
          stream.error = fromWireError(message.e);
          stream.poke();
        }
        return;
      }
      case 'sa':
        if (typeof message.n === 'number' && message.n > 0)
          this.outStreams.get(message.s)?.addCredit(message.n);
        return;
      case 'sc':
        this.outStreams.get(message.s)?.cancel();
        return;
      default:
        return; // unknown message types are ignored (a newer peer)
    }
  }

  private onRequest(message: { i: number; m: string; p: unknown }): void {
    const { i: id, m: method } = message;
    const handler = this.handlers.get(method);
    if (!handler) {
      this.write(
        {
          t: 'e',
          i: id,
          e: {
            code: 'WEBCASA_RPC_UNKNOWN_METHOD',
            message: `${this.name}: no method "${method}"`,
            status: 501,
          },
        },
        true,
      );
      return;
    }
    const controller = new AbortController();
    this.inflight.set(id, controller);
    let result: unknown;
    try {
      result = handler(message.p, { signal: controller.signal });
    } catch (error) {
      this.inflight.delete(id);
      this.reply(id, error, false);
      return;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
      (result as Promise<unknown>).then(
        (value) => {
          this.inflight.delete(id);
          this.reply(id, value, true);
        },
        (error: unknown) => {
          this.inflight.delete(id);
          this.reply(id, error, false);
        },
      );
    } else {
      this.inflight.delete(id);
      this.reply(id, result, true);
    }
  }

  private reply(id: number, value: unknown, ok: boolean): void {
    if (this.closeReason) return;
    if (!ok) {
      this.write({ t: 'e', i: id, e: toWireError(value) }, false);
      return;
    }
    try {
      // An undefined result leaves `r` out of the JSON, and arrives as undefined.
      this.write({ t: 'r', i: id, r: value }, false);
    } catch (error) {
      // e.g. an answer larger than a frame: the caller gets that error instead.
      this.write({ t: 'e', i: id, e: toWireError(error) }, false);
    }
  }
}

import { WebcasaError } from '../errors.js';

/**
 * The wire format between the panel and an isolated plugin's process.
 *
 * Every frame is `[u32 payload length, big endian][u8 type][payload]`:
 *
 * - type 1, JSON: one RPC message as UTF-8 JSON. Byte strings (`Uint8Array`,
 *   `Buffer`) and `bigint`s survive the trip as tagged objects (`{"$wc":"b",…}`),
 *   which SQLite parameters and results need.
 * - type 2, DATA: `[u32 stream id][bytes]`, a chunk of a byte stream (HTTP
 *   bodies), so bodies never pass through JSON or base64.
 *
 * A frame is at most {@link MAX_FRAME_BYTES}; larger JSON messages are refused
 * when encoded and an announced length above the limit is a protocol error,
 * so a broken or hostile peer cannot make the other side buffer without bound.
 */
export const FRAME_JSON = 1;
export const FRAME_DATA = 2;
export const FRAME_HEADER_BYTES = 5;
/** Largest payload of one frame: 16 MiB. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Byte streams are cut into chunks of at most this size. */
export const DATA_CHUNK_BYTES = 64 * 1024;

export type Frame =
  | { type: typeof FRAME_JSON; message: unknown }
  | { type: typeof FRAME_DATA; stream: number; chunk: Buffer };

/** A frame that cannot be encoded or decoded; the channel is unusable after a decode error. */
export class FrameError extends WebcasaError {
  constructor(message: string) {
    super('WEBCASA_RPC_FRAME', message, 500);
    this.name = 'FrameError';
  }
}

const TAG = '$wc';
const TAG_BYTES = Buffer.from(`"${TAG}"`);

// `this[key]` is the value before toJSON ran: Buffer#toJSON would hide that it is bytes.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) {
    return { [TAG]: 'b', v: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  }
  if (typeof value === 'bigint') return { [TAG]: 'n', v: value.toString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Record<string, unknown>)[TAG] === 'string'
  ) {
    const tagged = value as { $wc: string; v: string };
    if (tagged.$wc === 'b') return Buffer.from(tagged.v, 'base64');
    if (tagged.$wc === 'n') return BigInt(tagged.v);
  }
  return value;
}

/**
 * Encode one JSON message as a frame. `plain: true` skips the byte-string and
 * bigint tagging for messages known to hold only JSON values (a faster path).
 */
export function encodeJsonFrame(message: unknown, plain = false): Buffer {
  const text = plain ? JSON.stringify(message) : JSON.stringify(message, replacer);
  const length = Buffer.byteLength(text);
  if (length > MAX_FRAME_BYTES) {
    throw new FrameError(
      `message of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit; send less data per call`,
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt8(FRAME_JSON, 4);
  frame.write(text, FRAME_HEADER_BYTES, 'utf8');
  return frame;
}

/**
 * The 9 bytes that precede a chunk of byte stream `stream` on the wire; write the
 * chunk itself right after (no copy). At most {@link DATA_CHUNK_BYTES} per chunk is advised.
 */
export function dataFrameHeader(stream: number, byteLength: number): Buffer {
  if (byteLength + 4 > MAX_FRAME_BYTES) throw new FrameError('data chunk exceeds the frame limit');
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  header.writeUInt32BE(4 + byteLength, 0);
  header.writeUInt8(FRAME_DATA, 4);
  header.writeUInt32BE(stream >>> 0, 5);
  return header;
}

/** One whole data frame in one buffer (header and a copy of the chunk). */
export function encodeDataFrame(stream: number, chunk: Uint8Array): Buffer {
  return Buffer.concat([dataFrameHeader(stream, chunk.byteLength), chunk]);
}

/**
 * Turns a byte stream back into frames, whatever the chunking of the reads
 * (a frame split over many reads, many frames in one read).
 *
 * @example
 * const decoder = new FrameDecoder();
 * socket.on('data', (chunk) => { for (const frame of decoder.push(chunk)) handle(frame); });
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes received but not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Add received bytes; returns the frames they completed. Throws {@link FrameError} on a bad frame. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const header = this.peek(FRAME_HEADER_BYTES);
      const length = header.readUInt32BE(0);
      const type = header.readUInt8(4);
      if (length > this.maxFrameBytes) {
        throw new FrameError(`peer announced a frame of ${length} bytes (limit ${this.maxFrameBytes})`);
      }
      if (type !== FRAME_JSON && type !== FRAME_DATA) throw new FrameError(`unknown frame type ${type}`);
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      const whole = this.take(FRAME_HEADER_BYTES + length);
      const payload = whole.subarray(FRAME_HEADER_BYTES);
      if (type === FRAME_JSON) {
        let message: unknown;
        try {
          message = JSON.parse(payload.toString('utf8'), payload.includes(TAG_BYTES) ? reviver : undefined);
        } catch (error) {
          throw new FrameError(`a JSON frame is not valid JSON: ${(error as Error).message}`);
        }
        frames.push({ type: FRAME_JSON, message });
      } else {
        if (payload.length < 4) throw new FrameError('a data frame is shorter than its stream id');
        frames.push({ type: FRAME_DATA, stream: payload.readUInt32BE(0), chunk: payload.subarray(4) });
      }
    }
    return frames;
  }

  // The first `n` bytes as one buffer, without consuming them.
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks);
      out = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

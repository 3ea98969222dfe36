import { describe, expect, it } from 'vitest';
import {
  encodeDataFrame,
  encodeJsonFrame,
  FRAME_DATA,
  FRAME_JSON,
  type Frame,
  FrameDecoder,
  FrameError,
  MAX_FRAME_BYTES,
} from './frame.js';

describe('frame codec', () => {
  it('round-trips JSON messages, byte strings and bigints', () => {
    const message = {
      sql: 'select ?',
      parameters: [1, 'two', null, new Uint8Array([0, 1, 255]), Buffer.from('hi'), 12345678901234567890n],
      nested: { rows: [{ id: 1n, blob: Buffer.from([9, 8]) }] },
    };
    const [frame] = new FrameDecoder().push(encodeJsonFrame(message));
    expect(frame!.type).toBe(FRAME_JSON);
    const back = (frame as { message: typeof message }).message;
    expect(back.parameters.slice(0, 3)).toEqual([1, 'two', null]);
    expect(Buffer.from(back.parameters[3] as Uint8Array)).toEqual(Buffer.from([0, 1, 255]));
    expect(Buffer.from(back.parameters[4] as Uint8Array).toString()).toBe('hi');
    expect(back.parameters[5]).toBe(12345678901234567890n);
    expect(back.nested.rows[0]!.id).toBe(1n);
    expect([...back.nested.rows[0]!.blob]).toEqual([9, 8]);
  });

  it('plain frames skip the tagging but carry the same JSON', () => {
    const [frame] = new FrameDecoder().push(encodeJsonFrame({ a: [1, 'x'] }, true));
    expect((frame as { message: unknown }).message).toEqual({ a: [1, 'x'] });
  });

  it('reassembles frames from reads of any size, one byte at a time included', () => {
    const wire = Buffer.concat([
      encodeJsonFrame({ n: 1 }),
      encodeDataFrame(7, Buffer.from('hello body')),
      encodeJsonFrame({ n: 2, text: 'é€😀' }),
    ]);
    for (const size of [1, 2, 3, 5, 7, 13, wire.length]) {
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      for (let at = 0; at < wire.length; at += size)
        frames.push(...decoder.push(wire.subarray(at, at + size)));
      expect(frames).toHaveLength(3);
      expect(frames[0]).toEqual({ type: FRAME_JSON, message: { n: 1 } });
      expect(frames[1]!.type).toBe(FRAME_DATA);
      expect((frames[1] as { stream: number }).stream).toBe(7);
      expect((frames[1] as { chunk: Buffer }).chunk.toString()).toBe('hello body');
      expect(frames[2]).toEqual({ type: FRAME_JSON, message: { n: 2, text: 'é€😀' } });
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('keeps a partial frame until the rest arrives', () => {
    const frame = encodeJsonFrame({ big: 'x'.repeat(100_000) });
    const decoder = new FrameDecoder();
    expect(decoder.push(frame.subarray(0, 60_000))).toEqual([]);
    expect(decoder.pendingBytes).toBe(60_000);
    expect(decoder.push(frame.subarray(60_000))).toHaveLength(1);
  });

  it('refuses to encode a message larger than a frame', () => {
    expect(() => encodeJsonFrame({ huge: 'x'.repeat(MAX_FRAME_BYTES) })).toThrow(FrameError);
  });

  it('refuses an announced length above the limit, an unknown type, and bad JSON', () => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    header.writeUInt8(1, 4);
    expect(() => new FrameDecoder().push(header)).toThrow(/announced a frame of/);
    // The decoder's own limit can be lower than the protocol's.
    expect(() => new FrameDecoder(10).push(encodeJsonFrame({ longer: 'than ten bytes' }))).toThrow(
      FrameError,
    );
    const unknown = Buffer.from([0, 0, 0, 1, 9, 0]);
    expect(() => new FrameDecoder().push(unknown)).toThrow(/unknown frame type 9/);
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 3, 1]), Buffer.from('{x}')]);
    expect(() => new FrameDecoder().push(bad)).toThrow(/not valid JSON/);
  });
});

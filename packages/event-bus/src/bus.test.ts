import { describe, expect, it, vi } from 'vitest';
import { type BusEvent, createEventBus } from './index.js';

declare module './bus.js' {
  interface WebcasaEvents {
    'test.created': { id: number };
    'test.deleted': { id: number };
    'test.deep.thing': { ok: boolean };
    'other.created': { name: string };
  }
}

describe('createEventBus', () => {
  it('stamps every event with type, payload, source and time', () => {
    const bus = createEventBus();
    const seen: BusEvent[] = [];
    bus.on('test.created', (e) => {
      seen.push(e);
    });
    const before = Date.now();
    bus.scope('sites').emit('test.created', { id: 7 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'test.created', payload: { id: 7 }, source: 'sites' });
    expect(seen[0]!.time).toBeGreaterThanOrEqual(before);
    expect(seen[0]!.time).toBeLessThanOrEqual(Date.now());
  });

  it('root bus emits with source core unless told otherwise', () => {
    const bus = createEventBus();
    const sources: string[] = [];
    bus.on('test.created', (e) => void sources.push(e.source));
    bus.emit('test.created', { id: 1 });
    bus.emit('test.created', { id: 2 }, { source: 'host' });
    expect(sources).toEqual(['core', 'host']);
  });

  it('wildcards match by dotted prefix and * matches all', () => {
    const bus = createEventBus();
    const prefix: string[] = [];
    const all: string[] = [];
    const deep: string[] = [];
    bus.on('test.*', (e) => void prefix.push(e.type));
    bus.on('*', (e) => void all.push(e.type));
    bus.on('test.deep.*', (e) => void deep.push(e.type));
    bus.emit('test.created', { id: 1 });
    bus.emit('test.deep.thing', { ok: true });
    bus.emit('other.created', { name: 'x' });
    expect(prefix).toEqual(['test.created', 'test.deep.thing']);
    expect(deep).toEqual(['test.deep.thing']);
    expect(all).toEqual(['test.created', 'test.deep.thing', 'other.created']);
  });

  it('a wildcard does not match a type that only shares characters', () => {
    const bus = createEventBus();
    const seen = vi.fn();
    bus.on('test.*', seen);
    bus.emit('testing.created' as 'test.created', { id: 1 });
    expect(seen).not.toHaveBeenCalled();
  });

  it('once runs a handler at most once, and off removes handlers', () => {
    const bus = createEventBus();
    const once = vi.fn();
    const on = vi.fn();
    bus.once('test.created', once);
    bus.on('test.created', on);
    bus.emit('test.created', { id: 1 });
    bus.emit('test.created', { id: 2 });
    expect(once).toHaveBeenCalledTimes(1);
    expect(on).toHaveBeenCalledTimes(2);
    bus.off('test.created', on);
    bus.emit('test.created', { id: 3 });
    expect(on).toHaveBeenCalledTimes(2);
    const wild = vi.fn();
    bus.on('test.*', wild);
    bus.off('test.*', wild);
    bus.emit('test.created', { id: 4 });
    expect(wild).not.toHaveBeenCalled();
  });

  it('the unsubscribe function returned by on removes that handler only', () => {
    const bus = createEventBus();
    const a = vi.fn();
    const b = vi.fn();
    const offA = bus.on('test.created', a);
    bus.on('test.created', b);
    offA();
    bus.emit('test.created', { id: 1 });
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
  });

  it('a throwing handler is reported and never stops the emitter or the others', () => {
    const failures: unknown[] = [];
    const bus = createEventBus({ onHandlerError: (f) => failures.push(f) });
    const after = vi.fn();
    const wildAfter = vi.fn();
    bus.scope('bad-plugin').on('test.created', () => {
      throw new Error('boom');
    });
    bus.on('test.created', after);
    bus.on('test.*', () => {
      throw new Error('wild boom');
    });
    bus.on('test.*', wildAfter);
    expect(() => bus.emit('test.created', { id: 1 })).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(wildAfter).toHaveBeenCalledTimes(1);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ subscriber: 'bad-plugin', event: { type: 'test.created' } });
    expect((failures[0] as { error: Error }).error.message).toBe('boom');
  });

  it('a rejecting async handler is reported without an unhandled rejection', async () => {
    const failures: unknown[] = [];
    const bus = createEventBus({ onHandlerError: (f) => failures.push(f) });
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      bus.on('test.created', async () => {
        throw new Error('async boom');
      });
      bus.emit('test.created', { id: 1 });
      await new Promise((r) => setTimeout(r, 10));
      expect(failures).toHaveLength(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('emitAsync waits for async handlers and counts failures without rejecting', async () => {
    const bus = createEventBus({ onHandlerError: () => {} });
    const order: string[] = [];
    bus.on('test.created', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('slow');
    });
    bus.on('test.*', async () => {
      throw new Error('nope');
    });
    bus.on('test.created', () => {
      throw new Error('sync nope');
    });
    const result = await bus.emitAsync('test.created', { id: 1 });
    expect(order).toEqual(['slow']);
    expect(result).toEqual({ handled: 3, failed: 2 });
  });

  it('dispose removes every subscription of a scope and silences its emits', () => {
    const bus = createEventBus();
    const plugin = bus.scope('docker');
    const exact = vi.fn();
    const wild = vi.fn();
    plugin.on('test.created', exact);
    plugin.on('*', wild);
    const other = vi.fn();
    bus.on('test.created', other);
    expect(bus.listenerCount('test.created')).toBe(3);
    plugin.dispose();
    expect(plugin.disposed).toBe(true);
    expect(bus.listenerCount('test.created')).toBe(1);
    bus.emit('test.created', { id: 1 });
    expect(exact).not.toHaveBeenCalled();
    expect(wild).not.toHaveBeenCalled();
    expect(plugin.emit('test.created', { id: 2 })).toBe(false);
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('emit says whether any handler received the event', () => {
    const bus = createEventBus();
    expect(bus.emit('test.created', { id: 1 })).toBe(false);
    bus.on('*', () => {});
    expect(bus.emit('test.created', { id: 1 })).toBe(true);
    const other = createEventBus();
    other.on('test.created', () => {});
    expect(other.emit('test.created', { id: 1 })).toBe(true);
    expect(other.emit('test.deleted', { id: 1 })).toBe(false);
  });
});

import { createEventBus, type EventBus } from '@webcasa/event-bus';
import type { RunInfo } from '@webcasa/plugin-sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { attachBusMetrics, attachRunMetrics } from './bus-metrics.js';
import { createMetricsRegistry, type MetricsRegistry } from './registry.js';

// Undeclared event types, as plugins use them (the bus is typed by augmentation).
type Loose = {
  emit(type: string, payload: unknown, o?: { source?: string }): boolean;
  emitAsync(type: string, payload: unknown): Promise<{ handled: number; failed: number }>;
  on(type: string, h: (e: any) => unknown): () => void;
  once(type: string, h: (e: any) => unknown): () => void;
  off(type: string, h: (e: any) => unknown): void;
  listenerCount(type: string): number;
};
const loose = (bus: unknown) => bus as Loose;

let bus: EventBus;
let metrics: MetricsRegistry;
let failures: string[];
let detach: () => void;

beforeEach(() => {
  failures = [];
  bus = createEventBus({ onHandlerError: (f) => failures.push(f.subscriber) });
  metrics = createMetricsRegistry({ isKnown: (id) => ['alpha', 'beta', 'gamma'].includes(id) });
  detach = attachBusMetrics(bus, metrics);
});

const count = (id: string) => {
  const c = metrics.get(id);
  return { emitted: c?.eventsEmitted ?? 0, handled: c?.eventsHandled ?? 0, errors: c?.handlerErrors ?? 0 };
};

describe('attachBusMetrics', () => {
  it("counts emits under the emitter's scope, or the source it names", async () => {
    const alpha = loose(bus.scope('alpha'));
    alpha.emit('alpha.thing.done', {});
    alpha.emit('alpha.thing.done', {});
    await alpha.emitAsync('alpha.thing.done', {});
    loose(bus).emit('panel.tick', {});
    loose(bus).emit('run.started', {}, { source: 'beta' });
    expect(count('alpha').emitted).toBe(3);
    expect(count('beta').emitted).toBe(1);
    expect(count('core').emitted).toBe(1);
  });

  it('counts handler calls and failures under the subscriber, not the emitter', async () => {
    const alpha = loose(bus.scope('alpha'));
    loose(bus.scope('beta')).on('alpha.*', () => {});
    loose(bus.scope('gamma')).on('alpha.thing.done', () => {
      throw new Error('gamma broke');
    });
    loose(bus.scope('gamma')).on('alpha.thing.done', async () => {
      throw new Error('gamma broke later');
    });
    alpha.emit('alpha.thing.done', {});
    alpha.emit('alpha.other', {});
    const result = await alpha.emitAsync('alpha.thing.done', {});
    expect(result).toEqual({ handled: 3, failed: 2 });
    await new Promise((r) => setTimeout(r, 0));
    expect(count('alpha')).toEqual({ emitted: 3, handled: 0, errors: 0 });
    expect(count('beta')).toEqual({ emitted: 0, handled: 3, errors: 0 });
    expect(count('gamma')).toEqual({ emitted: 0, handled: 4, errors: 4 });
    // The bus's own error reporting still works.
    expect(failures.filter((s) => s === 'gamma')).toHaveLength(4);
  });

  it('keeps on, once, off and unsubscribe working through the wrappers', () => {
    const beta = loose(bus.scope('beta'));
    const alpha = loose(bus.scope('alpha'));
    const seen: string[] = [];
    const handler = (e: { type: string }) => void seen.push(e.type);
    beta.on('alpha.a', handler);
    beta.on('alpha.b', handler);
    beta.once('alpha.c', handler);
    const unsubscribe = beta.on('alpha.d', handler);
    expect(bus.listenerCount('alpha.a')).toBe(1);
    alpha.emit('alpha.c', {});
    alpha.emit('alpha.c', {});
    beta.off('alpha.a', handler);
    unsubscribe();
    for (const type of ['alpha.a', 'alpha.b', 'alpha.d']) alpha.emit(type, {});
    expect(seen).toEqual(['alpha.c', 'alpha.b']);
    expect(count('beta').handled).toBe(2);
    expect(bus.listenerCount('alpha.a')).toBe(0);
    expect(bus.listenerCount('alpha.b')).toBe(1);
  });

  it('stops counting a disposed scope, whose emits go nowhere', () => {
    const alpha = bus.scope('alpha');
    loose(alpha).emit('alpha.x', {});
    alpha.dispose();
    loose(alpha).emit('alpha.x', {});
    expect(count('alpha').emitted).toBe(1);
  });

  it('counts sources that are not plugins under core', () => {
    loose(bus.scope('scheduler')).emit('tick', {});
    loose(bus.scope('scheduler')).on('tick', () => {});
    loose(bus).emit('tick', {});
    expect(metrics.ids()).toEqual(['core']);
    expect(count('core')).toEqual({ emitted: 2, handled: 1, errors: 0 });
  });

  it('restores the bus when detached', () => {
    const before = loose(bus.scope('alpha'));
    detach();
    const after = loose(bus.scope('alpha'));
    after.on('alpha.x', () => {});
    after.emit('alpha.x', {});
    before.emit('alpha.x', {});
    expect(count('alpha')).toEqual({ emitted: 0, handled: 0, errors: 0 });
  });
});

describe('attachRunMetrics', () => {
  const run = (plugin: string, status: RunInfo['status']): { run: RunInfo } => ({
    run: {
      id: 'run_x',
      plugin,
      title: 't',
      status,
      progress: 0,
      message: null,
      error: null,
      createdAt: 0,
      startedAt: 0,
      endedAt: null,
      createdBy: null,
    },
  });

  it('counts runs started and failed per plugin', () => {
    attachRunMetrics(bus, metrics);
    bus.emit('run.started', run('alpha', 'running'), { source: 'alpha' });
    bus.emit('run.started', run('alpha', 'running'), { source: 'alpha' });
    bus.emit('run.started', run('beta', 'running'), { source: 'beta' });
    bus.emit('run.finished', run('alpha', 'failed'), { source: 'alpha' });
    bus.emit('run.finished', run('alpha', 'succeeded'), { source: 'alpha' });
    bus.emit('run.finished', run('beta', 'cancelled'), { source: 'beta' });
    expect(metrics.get('alpha')).toMatchObject({ runsStarted: 2, runsFailed: 1 });
    expect(metrics.get('beta')).toMatchObject({ runsStarted: 1, runsFailed: 0 });
  });
});

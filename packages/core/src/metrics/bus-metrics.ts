import type { EmitOptions, EventBus, EventHandler, ScopedEventBus, Unsubscribe } from '@webcasa/event-bus';
import type { RunInfo } from '@webcasa/plugin-sdk';
import type { MetricsRegistry } from './registry.js';

/** The bus methods instrumented, without their overloads. */
interface LooseApi {
  emit(type: string, payload: unknown, options?: EmitOptions): boolean;
  emitAsync(
    type: string,
    payload: unknown,
    options?: EmitOptions,
  ): Promise<{ handled: number; failed: number }>;
  on(pattern: string, handler: EventHandler<any>): Unsubscribe;
  once(pattern: string, handler: EventHandler<any>): Unsubscribe;
  off(pattern: string, handler: EventHandler<any>): void;
}

export interface BusMetricsOptions {
  /** Source of events emitted through the root bus (its `createEventBus({ source })`). Default `core`. */
  rootSource?: string;
}

/**
 * Count, per plugin, the events it emits, the calls of its handlers and their
 * failures. Wraps `emit`, `emitAsync`, `on`, `once`, `off` and `scope` of `bus`
 * in place, so every scope made afterwards (one per plugin) is counted too:
 * attach right after `createEventBus()`, before any plugin loads. Handler
 * failures come from `onHandlerError`. Returns a function that restores the bus
 * and stops counting (handlers subscribed meanwhile stay wrapped: remove them
 * with the function `on` returned).
 *
 * Why wrapping rather than a `*` subscription: a wildcard handler would make
 * every emit walk the wildcard table and would change `listenerCount`, and it
 * could not tell whose handlers ran.
 *
 * @example
 * const bus = createEventBus();
 * attachBusMetrics(bus, metrics);
 * bus.scope('docker').emit('docker.container.started', { id: 'abc' });
 * metrics.get('docker')?.eventsEmitted; // 1
 */
export function attachBusMetrics(
  bus: EventBus,
  metrics: MetricsRegistry,
  options: BusMetricsOptions = {},
): () => void {
  let active = true;
  const offErrors = bus.onHandlerError((failure) => {
    if (active) metrics.recordHandlerError(failure.subscriber);
  });
  const root = bus as unknown as LooseApi & { scope: EventBus['scope'] };
  const originals = {
    emit: root.emit,
    emitAsync: root.emitAsync,
    on: root.on,
    once: root.once,
    off: root.off,
    scope: root.scope,
  };

  function instrument(api: LooseApi, source: string, disposed: () => boolean): void {
    const { emit, emitAsync, on, once, off } = api;
    // Each original handler → the wrappers it was registered as, so `off(pattern, handler)` still works.
    const wrapped = new Map<EventHandler<any>, { pattern: string; wrapper: EventHandler<any> }[]>();
    const remember = (handler: EventHandler<any>, pattern: string, wrapper: EventHandler<any>) => {
      const list = wrapped.get(handler);
      if (list) list.push({ pattern, wrapper });
      else wrapped.set(handler, [{ pattern, wrapper }]);
    };
    const forget = (handler: EventHandler<any>, wrapper: EventHandler<any>) => {
      const list = wrapped.get(handler);
      if (!list) return;
      const i = list.findIndex((w) => w.wrapper === wrapper);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) wrapped.delete(handler);
    };
    const subscribe = (
      method: LooseApi['on'],
      pattern: string,
      handler: EventHandler<any>,
      isOnce: boolean,
    ): Unsubscribe => {
      const wrapper: EventHandler<any> = (event) => {
        if (isOnce) forget(handler, wrapper);
        if (active) metrics.recordHandled(source);
        return handler(event);
      };
      remember(handler, pattern, wrapper);
      const unsubscribe = method(pattern, wrapper);
      return () => {
        forget(handler, wrapper);
        unsubscribe();
      };
    };

    api.emit = (type, payload, emitOptions) => {
      if (active && !disposed()) metrics.recordEvent(emitOptions?.source ?? source);
      return emit(type, payload, emitOptions);
    };
    api.emitAsync = (type, payload, emitOptions) => {
      if (active && !disposed()) metrics.recordEvent(emitOptions?.source ?? source);
      return emitAsync(type, payload, emitOptions);
    };
    api.on = (pattern, handler) => subscribe(on, pattern, handler, false);
    api.once = (pattern, handler) => subscribe(once, pattern, handler, true);
    api.off = (pattern, handler) => {
      const list = wrapped.get(handler);
      const matching = list?.filter((w) => w.pattern === pattern) ?? [];
      // A handler subscribed before the bus was instrumented is registered as itself.
      if (matching.length === 0) return off(pattern, handler);
      for (const w of matching) {
        forget(handler, w.wrapper);
        off(pattern, w.wrapper);
      }
    };
  }

  instrument(root, options.rootSource ?? 'core', () => false);
  root.scope = (source: string): ScopedEventBus => {
    const scoped = originals.scope(source);
    instrument(scoped as unknown as LooseApi, source, () => scoped.disposed);
    return scoped;
  };

  return () => {
    active = false;
    offErrors();
    Object.assign(root, originals);
  };
}

/**
 * Count runs started and failed per plugin from the runs service's
 * `run.started` and `run.finished` events. Returns the unsubscribe function.
 *
 * @example
 * attachRunMetrics(bus, metrics);
 */
export function attachRunMetrics(bus: EventBus, metrics: MetricsRegistry): () => void {
  const loose = bus as unknown as LooseApi;
  const runOf = (event: { payload: unknown }) => (event.payload as { run?: RunInfo } | undefined)?.run;
  const offStarted = loose.on('run.started', (event) => {
    const run = runOf(event);
    if (run) metrics.recordRun(run.plugin, 'started');
  });
  const offFinished = loose.on('run.finished', (event) => {
    const run = runOf(event);
    if (run && run.status !== 'queued' && run.status !== 'running') metrics.recordRun(run.plugin, run.status);
  });
  return () => {
    offStarted();
    offFinished();
  };
}

import { EventEmitter } from 'eventemitter3';

/**
 * The map of every event type to its payload. Packages add their events by
 * module augmentation, so `emit('host.created', payload)` is type-checked
 * across package boundaries:
 *
 * @example
 * declare module '@webcasa/event-bus' {
 *   interface WebcasaEvents {
 *     'uptime.check.failed': { url: string; status: number };
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface WebcasaEvents {}

/** A declared event type, or any dotted string when no declaration exists. */
export type EventType = keyof WebcasaEvents extends never ? string : keyof WebcasaEvents & string;

/** Payload of `T`: the declared type, or `unknown` for undeclared events. */
export type PayloadOf<T extends string> = T extends keyof WebcasaEvents ? WebcasaEvents[T] : unknown;

/** What every handler receives: the payload stamped with its type, source and time. */
export interface BusEvent<T extends string = string> {
  readonly type: T;
  readonly payload: PayloadOf<T>;
  /** Who emitted it: a plugin id, `core`, or whatever the emitter's scope says. */
  readonly source: string;
  /** Milliseconds since the epoch, when it was emitted. */
  readonly time: number;
}

export type EventHandler<T extends string = string> = (event: BusEvent<T>) => void | Promise<void>;

/** `prefix.*` matches every type that starts with `prefix.`; `*` matches everything. */
export type WildcardPattern = '*' | `${string}.*`;

export type Unsubscribe = () => void;

/** Reported when a handler throws or rejects. The emitter and the other handlers carry on. */
export interface HandlerError {
  error: unknown;
  event: BusEvent;
  /** The scope that registered the failing handler (a plugin id, or `core`). */
  subscriber: string;
}

export interface EmitOptions {
  /** Overrides the scope's source; only the host should need this. */
  source?: string;
}

export interface EventBus {
  /** Subscribe to one type, or to a wildcard pattern. Returns the unsubscribe function. */
  on<T extends EventType>(type: T, handler: EventHandler<T>): Unsubscribe;
  on(pattern: WildcardPattern, handler: EventHandler): Unsubscribe;
  /** Like `on`, but the handler runs at most once. */
  once<T extends EventType>(type: T, handler: EventHandler<T>): Unsubscribe;
  once(pattern: WildcardPattern, handler: EventHandler): Unsubscribe;
  /** Remove a handler added with `on` or `once` for that type or pattern. */
  off(typeOrPattern: string, handler: EventHandler<any>): void;
  /** Deliver synchronously to every matching handler. Returns whether any handler received it. */
  emit<T extends EventType>(type: T, payload: PayloadOf<T>, options?: EmitOptions): boolean;
  /** Deliver and wait for every handler (including async ones) to settle. Never rejects. */
  emitAsync<T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    options?: EmitOptions,
  ): Promise<{ handled: number; failed: number }>;
  /** A view of this bus whose emits carry `source`, and whose subscriptions `dispose()` removes. */
  scope(source: string): ScopedEventBus;
  /** Listen for handler failures on the whole bus. */
  onHandlerError(listener: (failure: HandlerError) => void): Unsubscribe;
  /** Number of handlers that would receive `type` (exact plus wildcard). */
  listenerCount(type: string): number;
}

export interface ScopedEventBus extends Omit<EventBus, 'scope'> {
  readonly source: string;
  /** Remove every subscription made through this scope. Emitting afterwards is a no-op. */
  dispose(): void;
  readonly disposed: boolean;
}

export interface CreateEventBusOptions {
  /** Source stamped on events emitted through the root bus. Default `core`. */
  source?: string;
  /** Called when a handler throws or rejects (in addition to `onHandlerError` listeners). */
  onHandlerError?: (failure: HandlerError) => void;
}

interface BusInternals {
  report(error: unknown, event: BusEvent, subscriber: string): void;
  remove(reg: Registration): void;
}

/**
 * A registered handler. eventemitter3 calls the shared prototype method
 * `invoke` with the registration as `this`: one monomorphic call site that V8
 * inlines, instead of a wrapper closure per handler.
 */
class Registration {
  active = true;
  constructor(
    readonly pattern: string,
    readonly original: EventHandler<any>,
    readonly subscriber: string,
    readonly once: boolean,
    readonly bus: BusInternals,
    readonly owned: Set<Registration> | undefined,
  ) {}

  invoke(event: BusEvent): unknown {
    if (!this.active) return undefined;
    if (this.once) this.bus.remove(this);
    try {
      const result = this.original(event);
      return result === undefined ? undefined : this.settle(result, event);
    } catch (error) {
      this.bus.report(error, event, this.subscriber);
      return FAILED;
    }
  }

  // A handler's result: a rejected promise is reported, never left unhandled.
  private settle(result: unknown, event: BusEvent): unknown {
    if (typeof (result as Promise<void> | null)?.then !== 'function') return result;
    return (result as Promise<void>).then(undefined, (error: unknown) => {
      this.bus.report(error, event, this.subscriber);
      return FAILED;
    });
  }
}

const INVOKE = Registration.prototype.invoke;

const ALL = '*';

// Date.now() costs several times more than delivering an event, so the clock is
// read once per synchronous job and reused until the next microtask checkpoint.
// Stamps are therefore exact to within the current job's run time (well under
// a millisecond for a healthy event loop).
let clockValue = 0;
let clockFresh = false;
function invalidateClock(): void {
  clockFresh = false;
}
function eventTime(): number {
  if (!clockFresh) {
    clockValue = Date.now();
    clockFresh = true;
    queueMicrotask(invalidateClock);
  }
  return clockValue;
}

function isWildcard(pattern: string): boolean {
  return pattern === ALL || pattern.endsWith('.*');
}

/**
 * Create a typed event bus.
 *
 * @example
 * const bus = createEventBus();
 * bus.on('host.*', (e) => console.log(e.type, e.source));
 * bus.scope('docker').emit('docker.container.started', { id: 'abc' });
 */
export function createEventBus(options: CreateEventBusOptions = {}): EventBus {
  const exact = new EventEmitter();
  // The same exact-type registrations eventemitter3 holds, for emitAsync and counting.
  const exactRegs = new Map<string, Set<Registration>>();
  // Wildcard handlers by prefix ("" for "*", "host." for "host.*").
  const wildcards = new Map<string, Set<Registration>>();
  const errorListeners = new Set<(failure: HandlerError) => void>();
  if (options.onHandlerError) errorListeners.add(options.onHandlerError);

  function report(error: unknown, event: BusEvent, subscriber: string): void {
    const failure: HandlerError = { error, event, subscriber };
    if (errorListeners.size === 0) {
      console.error(`[event-bus] handler of ${subscriber} failed on ${event.type}:`, error);
      return;
    }
    for (const listener of errorListeners) {
      try {
        listener(failure);
      } catch {
        // An error reporter that fails must not break emitting either.
      }
    }
  }

  function register(
    pattern: string,
    handler: EventHandler<any>,
    subscriber: string,
    once: boolean,
    owned?: Set<Registration>,
  ): Registration {
    const reg = new Registration(pattern, handler, subscriber, once, internals, owned);
    if (isWildcard(pattern)) {
      const prefix = pattern === ALL ? '' : pattern.slice(0, -1);
      let set = wildcards.get(prefix);
      if (!set) {
        set = new Set();
        wildcards.set(prefix, set);
      }
      set.add(reg);
    } else {
      exact.on(pattern, INVOKE, reg);
      let set = exactRegs.get(pattern);
      if (!set) {
        set = new Set();
        exactRegs.set(pattern, set);
      }
      set.add(reg);
    }
    owned?.add(reg);
    return reg;
  }

  function remove(reg: Registration): void {
    if (!reg.active) return;
    reg.active = false;
    reg.owned?.delete(reg);
    if (isWildcard(reg.pattern)) {
      const prefix = reg.pattern === ALL ? '' : reg.pattern.slice(0, -1);
      const set = wildcards.get(prefix);
      set?.delete(reg);
      if (set && set.size === 0) wildcards.delete(prefix);
    } else {
      exact.off(reg.pattern, INVOKE, reg);
      const set = exactRegs.get(reg.pattern);
      set?.delete(reg);
      if (set && set.size === 0) exactRegs.delete(reg.pattern);
    }
  }
  const internals: BusInternals = { report, remove };

  // Wildcard registrations matching `type`: "*", then each dotted prefix ("a.", "a.b.").
  function matchingWildcards(type: string): Registration[] | undefined {
    if (wildcards.size === 0) return undefined;
    let found: Registration[] | undefined;
    const add = (set: Set<Registration> | undefined) => {
      if (!set) return;
      found ??= [];
      for (const reg of set) found.push(reg);
    };
    add(wildcards.get(''));
    let dot = type.indexOf('.');
    while (dot !== -1) {
      add(wildcards.get(type.slice(0, dot + 1)));
      dot = type.indexOf('.', dot + 1);
    }
    return found;
  }

  // Synchronous delivery: the hot path, kept to one emitter call when nobody uses wildcards.
  function deliver(type: string, payload: unknown, source: string): boolean {
    const event: BusEvent = { type, payload: payload as never, source, time: eventTime() };
    let delivered = exact.emit(type, event);
    if (wildcards.size !== 0) {
      const wild = matchingWildcards(type);
      if (wild) {
        for (const reg of wild) reg.invoke(event);
        delivered = true;
      }
    }
    return delivered;
  }

  // Asynchronous delivery collects each handler's result so the caller can await them all.
  function deliverCollecting(type: string, payload: unknown, source: string, collect: unknown[]): void {
    const event: BusEvent = { type, payload: payload as never, source, time: eventTime() };
    // eventemitter3 drops return values, so this walks the registrations itself.
    const regs = exactRegs.get(type);
    if (regs) for (const reg of [...regs]) collect.push(reg.invoke(event));
    const wild = matchingWildcards(type);
    if (wild) for (const reg of wild) collect.push(reg.invoke(event));
  }

  function makeApi(defaultSource: string, owned?: Set<Registration>) {
    const regsFor = (pattern: string, handler: EventHandler<any>) => {
      const matches: Registration[] = [];
      const pool = owned ?? allRegistrations();
      for (const reg of pool) if (reg.pattern === pattern && reg.original === handler) matches.push(reg);
      return matches;
    };
    const api = {
      on(pattern: string, handler: EventHandler<any>): Unsubscribe {
        const reg = register(pattern, handler, defaultSource, false, owned);
        return () => remove(reg);
      },
      once(pattern: string, handler: EventHandler<any>): Unsubscribe {
        const reg = register(pattern, handler, defaultSource, true, owned);
        return () => remove(reg);
      },
      off(pattern: string, handler: EventHandler<any>): void {
        for (const reg of regsFor(pattern, handler)) remove(reg);
      },
      emit(type: string, payload: unknown, emitOptions?: EmitOptions): boolean {
        return deliver(
          type,
          payload,
          emitOptions === undefined ? defaultSource : (emitOptions.source ?? defaultSource),
        );
      },
      async emitAsync(type: string, payload: unknown, emitOptions?: EmitOptions) {
        const results: unknown[] = [];
        deliverCollecting(type, payload, emitOptions?.source ?? defaultSource, results);
        const handled = results.length;
        let failed = 0;
        const settled = await Promise.allSettled(results);
        for (let i = 0; i < settled.length; i++) {
          const s = settled[i]!;
          if (s.status === 'rejected' || s.value === FAILED) failed++;
        }
        return { handled, failed };
      },
      onHandlerError(listener: (failure: HandlerError) => void): Unsubscribe {
        errorListeners.add(listener);
        return () => errorListeners.delete(listener);
      },
      listenerCount(type: string): number {
        return exact.listenerCount(type) + (matchingWildcards(type)?.length ?? 0);
      },
    };
    return api;
  }

  // Registrations made on the root bus are tracked here so `off` can find them.
  const rootOwned = new Set<Registration>();
  const scopes = new Set<Set<Registration>>([rootOwned]);
  function allRegistrations(): Registration[] {
    const all: Registration[] = [];
    for (const set of scopes) for (const reg of set) all.push(reg);
    return all;
  }

  const root = makeApi(options.source ?? 'core', rootOwned);
  const bus = {
    ...root,
    scope(source: string): ScopedEventBus {
      const owned = new Set<Registration>();
      scopes.add(owned);
      const api = makeApi(source, owned);
      let disposed = false;
      const scoped = {
        ...api,
        source,
        get disposed() {
          return disposed;
        },
        emit(type: string, payload: unknown, emitOptions?: EmitOptions): boolean {
          if (disposed) return false;
          return deliver(type, payload, emitOptions === undefined ? source : (emitOptions.source ?? source));
        },
        async emitAsync(type: string, payload: unknown, emitOptions?: EmitOptions) {
          return disposed ? { handled: 0, failed: 0 } : api.emitAsync(type, payload, emitOptions);
        },
        dispose() {
          if (disposed) return;
          disposed = true;
          for (const reg of [...owned]) remove(reg);
          scopes.delete(owned);
        },
      };
      return scoped as unknown as ScopedEventBus;
    },
  };
  return bus as unknown as EventBus;
}

// What a failed handler's call resolves to, so emitAsync can count failures
// without a rejected promise ever escaping (an unhandled rejection kills Node).
const FAILED = Symbol('failed');

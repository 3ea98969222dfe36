import type { ActionRun, Manifest, NotifyMessage, RequestUser, RunInfo } from '@webcasa/plugin-sdk';
import type { Hello } from './handshake.js';
import type { RpcPeer } from './rpc.js';

/**
 * The messages of protocol version 1, both directions. Every value is plain
 * data; byte strings and bigints are tagged by the frame codec.
 */

/** A compiled query's result as it crosses: Kysely's `QueryResult`. */
export interface WireQueryResult {
  rows: Record<string, unknown>[];
  numAffectedRows?: bigint;
  numChangedRows?: bigint;
  insertId?: bigint;
}

export interface SetupParams {
  manifest: Manifest;
  /** Absolute path of the plugin's server entry. */
  serverEntry: string;
  /** The panel's data dir (the context's `dataDir` is `<dataDir>/plugins/<id>`). */
  dataDir: string;
  /** Services of declared dependencies that are running now: id → method names. */
  services: Record<string, string[]>;
  /** Paths of the CoreApi functions the panel offers (`[['info'], ['hosts', 'list'], …]`). */
  core: string[][];
}

export interface HttpRequestHead {
  method: string;
  url: string;
  headers: [string, string][];
  /** Stream id of the body, or null. */
  body: number | null;
  /** A small body sent whole instead of as a stream. */
  inline?: Uint8Array;
  user: RequestUser;
  requestId: string;
  /** The client's address, for `getConnInfo()` inside the plugin. */
  remote?: { remoteAddress?: string; remotePort?: number; remoteFamily?: string };
}

export interface HttpResponseHead {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** Stream id of the body, or null. */
  body: number | null;
  /** A small body that was complete when the handler returned, sent whole. */
  inline?: Uint8Array;
}

export interface ChildStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  uptimeMs: number;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** What a shutdown did; `uninstall` only when it was asked to run the hook. */
export interface ShutdownResult {
  /** `stop()` threw or timed out (the process exits anyway). */
  stopError?: string;
  /** `ran`: the hook finished; `none`: the plugin has no hook (or never got set up); `failed`: see `uninstallError`. */
  uninstall?: 'ran' | 'none' | 'failed';
  uninstallError?: string;
}

/** Requests the panel answers (the child calls them). */
export type HostMethods = {
  'db.query': { params: { sql: string; parameters: unknown[]; tx?: number }; result: WireQueryResult };
  'db.begin': { params: null; result: { tx: number } };
  'db.commit': { params: { tx: number }; result: null };
  'db.rollback': { params: { tx: number }; result: null };
  'config.get': { params: null; result: Record<string, unknown> };
  'config.set': { params: { patch: Record<string, unknown> }; result: Record<string, unknown> };
  'events.emitAsync': {
    params: { type: string; payload: unknown };
    result: { handled: number; failed: number };
  };
  'runs.start': {
    params: { title: string; key: number; options?: { createdBy?: string } };
    result: { id: string };
  };
  'runs.get': { params: { id: string }; result: RunInfo | null };
  'runs.list': { params: { limit?: number }; result: RunInfo[] };
  'runs.cancel': { params: { id: string }; result: boolean };
  'runs.wait': { params: { id: string }; result: RunInfo };
  notify: { params: NotifyMessage; result: null };
  core: { params: { path: string[]; args: unknown[] }; result: unknown };
  'ws.route': { params: { pattern: string }; result: null };
  'service.invoke': { params: { dep: string; method: string; args: unknown[] }; result: unknown };
  'actions.register': { params: { name: string }; result: null };
  'action.artifact': { params: { id: string; name: string; data: string | Uint8Array }; result: null };
};

/** Notifications the panel accepts. */
export type HostNotes = {
  hello: Hello;
  log: { level: LogLevel; msg: string; data?: Record<string, unknown> };
  'db.migrated': null;
  'events.sub': { pattern: string };
  'events.unsub': { pattern: string };
  'events.emit': { type: string; payload: unknown };
  'config.watch': null;
  'run.log': { id: string; line: string; level?: 'info' | 'warn' | 'error' };
  'run.progress': { id: string; fraction: number; message?: string };
  'ws.unroute': { pattern: string };
  'ws.send': { sid: number; data: string };
  'ws.close': { sid: number; code?: number; reason?: string };
  'actions.unregister': { name: string };
};

/** Requests the child answers (the panel calls them). */
export type ChildMethods = {
  setup: { params: SetupParams; result: { service: string[] | null } };
  start: { params: null; result: null };
  /**
   * Stop the plugin and exit. With `uninstall`, the plugin's `uninstall()` hook runs after its
   * `stop()` (each within `timeoutMs`), as in-process; the answer says how the hook went.
   */
  shutdown: { params: { timeoutMs: number; uninstall?: boolean }; result: ShutdownResult | null };
  ping: { params: null; result: ChildStats };
  http: { params: HttpRequestHead; result: HttpResponseHead };
  event: {
    params: { type: string; payload: unknown; source: string };
    result: { handled: number; failed: number; message?: string };
  };
  'config.changed': { params: { config: Record<string, unknown> }; result: null };
  'run.exec': { params: { key: number; id: string }; result: null };
  'service.call': { params: { method: string; args: unknown[] }; result: unknown };
  'action.exec': {
    params: { name: string; input: unknown; id: string; files: ActionRun['files'] };
    /** `defined: false` when the handler returned undefined (no result.json). */
    result: { defined: boolean; value: unknown };
  };
};

/** Notifications the child accepts. */
export type ChildNotes = {
  'ws.open': {
    sid: number;
    pattern: string;
    params: Record<string, string>;
    user: RequestUser;
    path: string;
    query: Record<string, string>;
    /** The client's IP address (as the audit log records it), or null. */
    ip: string | null;
  };
  'ws.message': { sid: number; data: string };
  'ws.closed': { sid: number };
  services: { services: Record<string, string[]> };
};

/** The panel's end of the channel. */
export type HostPeer = RpcPeer<ChildMethods, HostMethods, ChildNotes, HostNotes>;
/** The child's end of the channel. */
export type ChildPeer = RpcPeer<HostMethods, ChildMethods, HostNotes, ChildNotes>;

/** Method names a service object offers: its own and inherited functions (not Object's). */
export function serviceMethods(service: object): string[] {
  const names = new Set<string>();
  let proto: object | null = service;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const desc = Object.getOwnPropertyDescriptor(proto, name);
      if (desc && typeof desc.value === 'function') names.add(name);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return [...names].sort();
}

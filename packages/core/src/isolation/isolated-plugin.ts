import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Manifest, PluginLogger } from '@webcasa/plugin-sdk';
import { SESSION_COOKIE } from '../auth/sessions.js';
import { errorMessage, HttpError, PluginError, WebcasaError } from '../errors.js';
import type { ContextDeps, DispatchEnv } from '../plugins/context.js';
import { type CgroupHandle, placeInMemoryCgroup } from './cgroup.js';
import {
  EXIT_CODES,
  type Hello,
  handshakeEnv,
  ProtocolMismatchError,
  SUPPORTED_PROTOCOLS,
  verifyHello,
} from './handshake.js';
import { HostSession } from './host-session.js';
import { coreShape } from './permissions.js';
import type { ChildStats, HostPeer, HttpRequestHead, HttpResponseHead, ShutdownResult } from './protocol.js';

/** How an uninstall hook went in the plugin's process. */
export type UninstallOutcome = Pick<ShutdownResult, 'uninstall' | 'uninstallError'>;

import { PeerClosedError, RpcPeer, RpcTimeoutError } from './rpc.js';

/** Limits and timings of one isolated plugin. Every field has a default; see {@link DEFAULT_ISOLATION_LIMITS}. */
export interface IsolationLimits {
  /** V8 old-space limit of the process (`--max-old-space-size`), in MiB. */
  memoryMb: number;
  /** Also put the process in a memory cgroup when the panel may create one. */
  cgroup: boolean;
  /** Memory cgroup limit in MiB; default: twice `memoryMb` plus 64 (heap plus native memory). */
  cgroupMemoryMb: number | null;
  /** From spawn to the child's hello. */
  handshakeTimeoutMs: number;
  /** The plugin's `setup` (importing the entry included), and its `start`. */
  setupTimeoutMs: number;
  /** The plugin's `stop` inside the child, before signals are sent. */
  stopTimeoutMs: number;
  /** Wait after SIGTERM before SIGKILL. */
  killGraceMs: number;
  /** This many crashes within `crashWindowMs` mark the plugin `crashed` (no more restarts). */
  maxCrashes: number;
  crashWindowMs: number;
  /** First restart delay; doubles with each crash in the window, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Interval of health pings; a process missing `healthMisses` in a row is killed and restarted. */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  healthMisses: number;
  /** How long forwarded events and config changes wait for the child. */
  callTimeoutMs: number;
  /** A transaction held longer than this is rolled back (its database lock released). */
  txTimeoutMs: number;
  /** How long a request waits for a restarting plugin before it gets a 503. */
  requestWaitMs: number;
  /** Last stderr lines kept for the crash report. */
  stderrLines: number;
}

export const DEFAULT_ISOLATION_LIMITS: Readonly<IsolationLimits> = Object.freeze({
  memoryMb: 256,
  cgroup: true,
  cgroupMemoryMb: null,
  handshakeTimeoutMs: 15_000,
  setupTimeoutMs: 10_000,
  stopTimeoutMs: 5_000,
  killGraceMs: 2_000,
  maxCrashes: 5,
  crashWindowMs: 60_000,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  healthIntervalMs: 5_000,
  healthTimeoutMs: 5_000,
  healthMisses: 2,
  callTimeoutMs: 30_000,
  txTimeoutMs: 30_000,
  requestWaitMs: 10_000,
  stderrLines: 50,
});

/**
 * Limits from the environment: `WEBCASA_ISOLATION_<NAME>` for each numeric
 * limit in upper snake case (`WEBCASA_ISOLATION_MEMORY_MB=512`,
 * `WEBCASA_ISOLATION_MAX_CRASHES=3`), and `WEBCASA_ISOLATION_CGROUP=0` to skip cgroups.
 */
export function isolationLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<IsolationLimits> {
  const out: Partial<IsolationLimits> = {};
  for (const key of Object.keys(DEFAULT_ISOLATION_LIMITS) as (keyof IsolationLimits)[]) {
    const name = `WEBCASA_ISOLATION_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'cgroup') (out as Record<string, unknown>)[key] = !/^(0|false|no|off)$/i.test(raw);
    else {
      const value = Number(raw);
      if (Number.isFinite(value) && value >= 0) (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/**
 * `starting` (process and setup), `ready` (set up, `start` not yet called),
 * `running`, `restarting` (after a crash, waiting out the backoff), `crashed`
 * (too many crashes: given up), `failed` (setup or start failed), `stopping`, `stopped`.
 */
export type IsolationState =
  | 'idle'
  | 'starting'
  | 'ready'
  | 'running'
  | 'restarting'
  | 'crashed'
  | 'failed'
  | 'stopping'
  | 'stopped';

export interface CrashInfo {
  at: number;
  /** e.g. `killed by SIGKILL`, `out of memory: the V8 heap reached its 64 MB limit`. */
  reason: string;
  exitCode: number | null;
  signal: string | null;
  /** The process's last stderr lines. */
  stderr: string[];
}

export interface IsolatedInfo {
  state: IsolationState;
  pid: number | null;
  /** Restarts the supervisor made since the plugin was set up. */
  restarts: number;
  lastCrash: CrashInfo | null;
  /** Resident memory of the process in bytes (from /proc, else the last health ping). */
  memoryRss: number | null;
  heapUsed: number | null;
  memoryLimitMb: number;
  /** The memory cgroup the process is in, when that worked; else why not in `cgroupError`. */
  cgroup: string | null;
  cgroupError: string | null;
  protocol: number | null;
  startedAt: number | null;
}

export interface IsolatedPluginOptions {
  manifest: Manifest;
  /** Absolute path of the server entry module (a `.ts` entry is run with tsx). */
  serverEntry: string;
  /** The same host services the in-process context is built from. */
  deps: ContextDeps;
  limits?: Partial<IsolationLimits>;
  /** Called on every state change, e.g. to mark the plugin `crashed`. */
  onStateChange?: (state: IsolationState, info: IsolatedInfo) => void;
  /** Protocol versions offered to the child (tests of the handshake). */
  protocolVersions?: readonly number[];
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
}

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

class ChildHandle {
  readonly stderrTail: string[] = [];
  session: HostSession | undefined;
  cgroup: CgroupHandle | undefined;
  killedFor: string | undefined;
  exit: ExitInfo | undefined;
  hello: Hello | undefined;
  stats: ChildStats | undefined;
  misses = 0;
  pinging = false;
  readonly exited: Promise<ExitInfo>;
  readonly helloReceived: Promise<Hello>;
  private markExited!: (info: ExitInfo) => void;

  constructor(
    readonly proc: ChildProcess,
    readonly pid: number,
    readonly peer: HostPeer,
  ) {
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.helloReceived = new Promise((resolve) => peer.onNotify('hello', resolve));
  }

  exitedWith(info: ExitInfo): void {
    this.exit = info;
    this.markExited(info);
  }
}

const NULL_BODY = new Set([204, 205, 304]);
const INLINE_MAX = 64 * 1024;
const here = fileURLToPath(import.meta.url);
// From sources (development, tests) the child entry is TypeScript; from dist it is JavaScript.
const CHILD_MAIN = join(dirname(here), `child-main${extname(here)}`);
const TS_ENTRY = /\.(c|m)?tsx?$/;

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
// Children also exit when their channel closes; this covers a panel that exits without stopping them.
function track(proc: ChildProcess): void {
  liveChildren.add(proc);
  proc.once('exit', () => liveChildren.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of liveChildren) child.kill('SIGKILL');
    });
  }
}

function tsxLoader(pluginId: string): string {
  try {
    return pathToFileURL(createRequire(here).resolve('tsx')).href;
  } catch {
    throw new PluginError(
      'WEBCASA_PLUGIN_TSX_MISSING',
      pluginId,
      `plugin ${pluginId}: its server entry is TypeScript, and running it in its own process needs the "tsx" package`,
    );
  }
}

// Only what a Node program needs: the panel's own environment (secrets, tokens) stays with the panel.
const PASSED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'NODE_ENV',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'WEBCASA_LOG_LEVEL',
];

function stripCredentials(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of headers) {
    if (name === 'authorization') continue;
    if (name === 'cookie') {
      const kept = value
        .split(';')
        .map((c) => c.trim())
        .filter((c) => c && !c.startsWith(`${SESSION_COOKIE}=`));
      if (kept.length > 0) out.push([name, kept.join('; ')]);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

/** The answer to a request whose plugin process died before it answered. */
export function crashedResponse(pluginId: string): Response {
  return Response.json(
    {
      error: {
        code: 'WEBCASA_PLUGIN_CRASHED',
        message: `plugin ${pluginId} crashed while handling the request`,
      },
    },
    { status: 502 },
  );
}

/**
 * A plugin running in its own Node process, supervised by the panel.
 *
 * The child is started with `process.execPath`, the V8 heap limit and, when
 * possible, a memory cgroup; it proves itself with the handshake, then runs
 * the plugin's server entry with a context served over RPC by the same host
 * services an in-process plugin gets. Requests, WebSocket traffic, events and
 * service calls are proxied. A crash is restarted with exponential backoff;
 * too many crashes in a window leave it `crashed` with its last stderr lines.
 *
 * @example
 * const iso = new IsolatedPlugin({ manifest, serverEntry, deps, limits: { memoryMb: 128 } });
 * await iso.setup();  // spawn, handshake, plugin setup (within setupTimeoutMs)
 * await iso.start();  // the plugin's start()
 * const res = await iso.fetch(request, { user, requestId });
 * iso.info();         // { state: 'running', pid: 4242, restarts: 0, lastCrash: null, memoryRss: … }
 * await iso.stop();   // shutdown message, then SIGTERM, then SIGKILL
 */
export class IsolatedPlugin {
  readonly id: string;
  readonly limits: IsolationLimits;
  private readonly manifest: Manifest;
  private readonly logger: PluginLogger;
  private readonly offered: readonly number[];
  private current: ChildHandle | undefined;
  /** A process between spawn and the end of its setup (not yet `current`). */
  private launching: ChildHandle | undefined;
  private stateValue: IsolationState = 'idle';
  private restartCount = 0;
  private crashTimes: number[] = [];
  private lastCrash: CrashInfo | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve(child: ChildHandle): void; reject(error: Error): void }[] = [];
  private startedAt: number | null = null;
  private cgroupError: string | null = null;
  private readonly serviceTarget: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  private hasService = false;

  constructor(private readonly options: IsolatedPluginOptions) {
    this.manifest = options.manifest;
    this.id = options.manifest.id;
    this.limits = { ...DEFAULT_ISOLATION_LIMITS, ...options.limits };
    this.logger = options.deps.pluginLogger(this.id);
    this.offered = options.protocolVersions ?? SUPPORTED_PROTOCOLS;
  }

  get state(): IsolationState {
    return this.stateValue;
  }

  /** The process id while one is alive. */
  get pid(): number | null {
    const child = this.current;
    return child && !child.exit ? child.pid : null;
  }

  /**
   * The plugin's service as other plugins see it: an object of async methods
   * that call the child by name. The same object survives restarts.
   */
  get service(): object | undefined {
    if (!this.hasService || !['running', 'ready', 'restarting'].includes(this.stateValue)) return undefined;
    return this.serviceTarget;
  }

  info(): IsolatedInfo {
    const child = this.current;
    return {
      state: this.stateValue,
      pid: this.pid,
      restarts: this.restartCount,
      lastCrash: this.lastCrash,
      memoryRss: child && !child.exit ? (rssOf(child.pid) ?? child.stats?.rss ?? null) : null,
      heapUsed: child?.stats?.heapUsed ?? null,
      memoryLimitMb: this.limits.memoryMb,
      cgroup: child?.cgroup?.path ?? null,
      cgroupError: this.cgroupError,
      protocol: child?.hello?.protocol ?? null,
      startedAt: this.startedAt,
    };
  }

  /**
   * Start the process, complete the handshake and run the plugin's `setup`.
   * Throws a `PluginError` (the plugin's own code, `WEBCASA_PLUGIN_TIMEOUT`,
   * `WEBCASA_PLUGIN_PROTOCOL_MISMATCH`, `WEBCASA_PLUGIN_CRASHED`) after killing the process.
   */
  async setup(): Promise<void> {
    if (this.stateValue === 'ready' || this.stateValue === 'running') return;
    this.restartCount = 0;
    this.crashTimes = [];
    this.setState('starting');
    try {
      this.current = await this.launch();
      this.setState('ready');
    } catch (error) {
      this.setState('failed');
      throw this.asSetupError(error, 'setup');
    }
  }

  /** Run the plugin's `start()` (calling {@link setup} first if needed); the supervisor takes over. */
  async start(): Promise<void> {
    if (this.stateValue === 'running') return;
    if (this.stateValue !== 'ready') await this.setup();
    const child = this.current!;
    try {
      await this.startChild(child);
    } catch (error) {
      await this.kill(child, 'start failed');
      this.current = undefined;
      this.setState('failed');
      throw this.asSetupError(error, 'start');
    }
    this.running(child);
  }

  /**
   * Stop: the plugin's `stop()` in the child (within `stopTimeoutMs`), then
   * SIGTERM, then SIGKILL after `killGraceMs`. Everything the process
   * registered in the panel is removed. Never throws.
   */
  async stop(): Promise<void> {
    await this.stopWith(false);
  }

  /**
   * Uninstall: the plugin's `stop()`, then its `uninstall()` hook, in its process, then
   * the process ends (as {@link stop}). A plugin whose process is not up (stopped,
   * crashed, never set up) gets a short-lived one first: set up, so the hook has its
   * context, never started. Never throws: the outcome says whether the hook ran.
   *
   * @example
   * const outcome = await iso.uninstall(); // { uninstall: 'ran' } | { uninstall: 'failed', uninstallError }
   */
  async uninstall(): Promise<UninstallOutcome> {
    if (
      !(this.current && !this.current.exit && (this.stateValue === 'running' || this.stateValue === 'ready'))
    ) {
      await this.stop();
      try {
        await this.setup();
      } catch (error) {
        return {
          uninstall: 'failed',
          uninstallError: `setup for the uninstall hook failed: ${errorMessage(error)}`,
        };
      }
    }
    return (
      (await this.stopWith(true)) ?? {
        uninstall: 'failed',
        uninstallError: 'the process ended before the uninstall hook could run',
      }
    );
  }

  private async stopWith(uninstall: boolean): Promise<ShutdownResult | undefined> {
    if (this.stateValue === 'idle' || this.stateValue === 'stopped' || this.stateValue === 'stopping') return;
    this.setState('stopping');
    clearTimeout(this.restartTimer);
    this.stopHealth();
    this.rejectWaiters(this.unavailable());
    const child = this.current;
    this.current = undefined;
    // A restart half-way through: its process goes at once (its launch then fails and gives up).
    if (this.launching && this.launching !== child) await this.kill(this.launching, 'stopped while starting');
    const result = child ? await this.shutdown(child, uninstall) : undefined;
    this.hasService = false;
    this.setState('stopped');
    return result;
  }

  /**
   * Send a request to the plugin's router in the child and stream the answer
   * back. A request in flight when the process dies is answered 502
   * `WEBCASA_PLUGIN_CRASHED`; one arriving while it restarts waits (up to
   * `requestWaitMs`).
   */
  async fetch(request: Request, env: DispatchEnv): Promise<Response> {
    const child = await this.readyChild();
    const socket = (env.incoming as { socket?: Socket } | undefined)?.socket;
    const head: HttpRequestHead = {
      method: request.method,
      url: request.url,
      headers: stripCredentials(request.headers),
      body: null,
      user: env.user,
      requestId: env.requestId,
    };
    if (socket) {
      head.remote = {
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
        remoteFamily: socket.remoteFamily,
      };
    }
    if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
      // A small body of known length crosses whole, in the request's own frame.
      const length = Number(request.headers.get('content-length') ?? Number.NaN);
      if (length <= INLINE_MAX) head.inline = new Uint8Array(await request.arrayBuffer());
      else head.body = child.peer.sendStream(request.body);
    }
    let answer: HttpResponseHead;
    try {
      answer = await child.peer.call('http', head, { signal: request.signal, plain: !head.inline });
    } catch (error) {
      if (error instanceof PeerClosedError || child.peer.isClosed) return crashedResponse(this.id);
      throw error;
    }
    if (answer.status < 200 || answer.status > 599) {
      throw new WebcasaError(
        'WEBCASA_PLUGIN_BAD_RESPONSE',
        `plugin ${this.id} answered status ${answer.status}`,
      );
    }
    if (answer.inline) {
      const bytes = NULL_BODY.has(answer.status) || request.method === 'HEAD' ? null : answer.inline;
      // The cast settles Node's and the DOM lib's differing Uint8Array buffer types.
      return new Response(bytes as ConstructorParameters<typeof Response>[0], {
        status: answer.status,
        statusText: answer.statusText,
        headers: answer.headers,
      });
    }
    let body: ReadableStream<Uint8Array> | null = null;
    if (answer.body !== null) {
      body = child.peer.receiveStream(answer.body);
      if (NULL_BODY.has(answer.status) || request.method === 'HEAD') {
        void body.cancel();
        body = null;
      }
    }
    return new Response(body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
    });
  }

  // ---- the process ----

  private setState(state: IsolationState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    try {
      this.options.onStateChange?.(state, this.info());
    } catch (error) {
      this.logger.error('isolation state listener failed', { error: errorMessage(error) });
    }
  }

  private spawnChild(): ChildHandle {
    const { limits, manifest } = this;
    const dataDir = join(this.options.deps.dataDir, 'plugins', this.id);
    mkdirSync(dataDir, { recursive: true });
    const args: string[] = [];
    if (CHILD_MAIN.endsWith('.ts') || TS_ENTRY.test(this.options.serverEntry)) {
      args.push('--import', tsxLoader(this.id));
    }
    args.push(`--max-old-space-size=${Math.max(16, Math.round(limits.memoryMb))}`, CHILD_MAIN);
    const env: Record<string, string> = {};
    for (const key of PASSED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]!;
    Object.assign(env, this.options.env, handshakeEnv(this.offered), { WEBCASA_PLUGIN_ID: manifest.id });
    const proc = spawn(process.execPath, args, {
      cwd: dataDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) {
      // spawn failures (EAGAIN, ENOMEM) arrive as an 'error' event; the pid tells synchronously.
      proc.once('error', () => {});
      throw new PluginError(
        'WEBCASA_PLUGIN_SPAWN_FAILED',
        this.id,
        `plugin ${this.id}: could not start its process`,
      );
    }
    track(proc);
    const pid = proc.pid;
    const peer: HostPeer = new RpcPeer(proc.stdio[3] as Socket, {
      name: `plugin ${this.id} (pid ${pid})`,
      streamParity: 1,
    });
    const child = new ChildHandle(proc, pid, peer);
    proc.on('error', (error) => this.logger.error('process error', { error: error.message, pid }));
    this.pipeLines(proc.stdout!, (line) => this.logger.info(line, { stream: 'stdout', pid }));
    this.pipeLines(proc.stderr!, (line) => {
      child.stderrTail.push(line);
      if (child.stderrTail.length > limits.stderrLines) child.stderrTail.shift();
      this.logger.warn(line, { stream: 'stderr', pid });
    });
    proc.once('exit', (code, signal) => {
      // stderr may still hold the last lines (an OOM report): give the pipes a moment to drain.
      const done = () => {
        clearTimeout(timer);
        child.exitedWith({ code, signal });
        void this.onChildExit(child);
      };
      const timer = setTimeout(done, 200);
      proc.once('close', done);
    });

    if (limits.cgroup) {
      const cgroupBytes = Math.round((limits.cgroupMemoryMb ?? limits.memoryMb * 2 + 64) * 1024 * 1024);
      const placed = placeInMemoryCgroup(pid, this.id, cgroupBytes);
      if (placed.handle) {
        child.cgroup = placed.handle;
        this.cgroupError = null;
      } else if (this.cgroupError !== placed.reason) {
        this.cgroupError = placed.reason;
        this.logger.debug('no memory cgroup for the plugin process; the V8 heap limit still applies', {
          reason: placed.reason,
        });
      }
    }
    return child;
  }

  private pipeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      partial += text;
      let nl = partial.indexOf('\n');
      while (nl !== -1) {
        const line = partial.slice(0, nl).replace(/\r$/, '');
        partial = partial.slice(nl + 1);
        if (line) onLine(line.length > 8192 ? `${line.slice(0, 8192)}…` : line);
        nl = partial.indexOf('\n');
      }
      // A line without end is cut, so a process cannot make the panel buffer without bound.
      if (partial.length > 8192) {
        onLine(`${partial.slice(0, 8192)}…`);
        partial = '';
      }
    });
    stream.on('end', () => {
      if (partial) onLine(partial);
      partial = '';
    });
  }

  /** Resolve with `work`, or reject when the child exits first or the deadline passes. */
  private race<T>(child: ChildHandle, work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      work,
      child.exited.then((exit) => {
        throw this.earlyExitError(child, exit, what);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new PluginError(
                'WEBCASA_PLUGIN_TIMEOUT',
                this.id,
                `plugin ${this.id}: ${what} did not finish within ${ms} ms; its process (pid ${child.pid}) was killed`,
                { pid: child.pid },
              ),
            ),
          ms,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private earlyExitError(child: ChildHandle, exit: ExitInfo, what: string): Error {
    const last = child.stderrTail.slice(-5).join('\n');
    if (exit.code === EXIT_CODES.PROTOCOL_MISMATCH) {
      return new ProtocolMismatchError(
        this.id,
        `plugin ${this.id}: the panel and its process share no protocol version (offered ${this.offered.join(', ')})` +
          (last ? `: ${last}` : ''),
        { pid: child.pid },
      );
    }
    return new PluginError(
      'WEBCASA_PLUGIN_CRASHED',
      this.id,
      `plugin ${this.id}: its process ended during ${what} (${this.exitReason(child, exit)})` +
        (last ? `:\n${last}` : ''),
      { pid: child.pid, stderr: child.stderrTail.slice(-10) },
    );
  }

  /** Spawn, handshake and setup: a set-up child, or an error (the child killed). */
  private async launch(): Promise<ChildHandle> {
    const child = this.spawnChild();
    this.launching = child;
    try {
      const hello = await this.race(
        child,
        child.helloReceived,
        this.limits.handshakeTimeoutMs,
        'the handshake',
      );
      child.hello = verifyHello(this.id, hello, this.offered);
      const session = new HostSession(child.peer, this.manifest, this.options.deps, this.logger, {
        callTimeoutMs: this.limits.callTimeoutMs,
        txTimeoutMs: this.limits.txTimeoutMs,
      });
      child.session = session;
      const result = await this.race(
        child,
        child.peer.call('setup', {
          manifest: this.manifest,
          serverEntry: this.options.serverEntry,
          dataDir: this.options.deps.dataDir,
          services: session.servicesSnapshot(),
          core: coreShape(this.options.deps.core),
        }),
        this.limits.setupTimeoutMs,
        'setup',
      );
      this.setService(result.service);
      return child;
    } catch (error) {
      await this.kill(child, 'setup failed');
      throw error;
    } finally {
      if (this.launching === child) this.launching = undefined;
    }
  }

  private async startChild(child: ChildHandle): Promise<void> {
    await this.race(child, child.peer.call('start', null), this.limits.setupTimeoutMs, 'start');
  }

  private running(child: ChildHandle): void {
    this.current = child;
    this.startedAt = Date.now();
    this.setState('running');
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) waiter.resolve(child);
    this.startHealth(child);
  }

  private setService(methods: string[] | null): void {
    this.hasService = methods !== null;
    const wanted = new Set(methods ?? []);
    for (const key of Object.keys(this.serviceTarget)) if (!wanted.has(key)) delete this.serviceTarget[key];
    for (const method of wanted) {
      this.serviceTarget[method] ??= async (...args: unknown[]) => {
        const child = await this.readyChild();
        return child.peer.call('service.call', { method, args });
      };
    }
  }

  private unavailable(): HttpError {
    if (this.stateValue === 'crashed') {
      return new HttpError(
        503,
        'WEBCASA_PLUGIN_CRASHED',
        `plugin ${this.id} crashed ${this.crashTimes.length} times within ${Math.round(this.limits.crashWindowMs / 1000)} s and was stopped` +
          (this.lastCrash ? ` (last: ${this.lastCrash.reason})` : ''),
      );
    }
    return new HttpError(
      503,
      'WEBCASA_PLUGIN_UNAVAILABLE',
      `plugin ${this.id} is not running (${this.stateValue})`,
    );
  }

  private readyChild(): Promise<ChildHandle> {
    const child = this.current;
    if ((this.stateValue === 'running' || this.stateValue === 'ready') && child && !child.peer.isClosed) {
      return Promise.resolve(child);
    }
    if (this.stateValue !== 'restarting' && this.stateValue !== 'starting' && this.stateValue !== 'running') {
      return Promise.reject(this.unavailable());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (c: ChildHandle) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new HttpError(
            503,
            'WEBCASA_PLUGIN_UNAVAILABLE',
            `plugin ${this.id} is restarting and was not back within ${this.limits.requestWaitMs} ms`,
          ),
        );
      }, this.limits.requestWaitMs);
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private startHealth(child: ChildHandle): void {
    this.stopHealth();
    const ping = () => {
      if (child.pinging || child.exit || child !== this.current) return;
      child.pinging = true;
      child.peer
        .call('ping', null, { timeoutMs: this.limits.healthTimeoutMs, plain: true })
        .then(
          (stats) => {
            child.misses = 0;
            child.stats = stats;
            // Dependencies that started (or stopped) since setup become visible to use().
            child.session?.refreshServices();
          },
          (error: unknown) => {
            if (child.exit || !(error instanceof RpcTimeoutError)) return;
            child.misses++;
            this.logger.warn(`no answer to a health ping (${child.misses} of ${this.limits.healthMisses})`, {
              pid: child.pid,
            });
            if (child.misses >= this.limits.healthMisses) {
              void this.kill(
                child,
                `unresponsive: no answer to ${child.misses} health pings of ${this.limits.healthTimeoutMs} ms`,
              );
            }
          },
        )
        .finally(() => {
          child.pinging = false;
        });
    };
    ping();
    this.healthTimer = setInterval(ping, this.limits.healthIntervalMs);
    this.healthTimer.unref();
  }

  private stopHealth(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
  }

  /** SIGKILL the child (recording why) and wait until it is gone and cleaned up. */
  private async kill(child: ChildHandle, why: string): Promise<void> {
    if (!child.exit) {
      child.killedFor ??= why;
      child.proc.kill('SIGKILL');
    }
    await child.exited;
    await child.session?.dispose(1012, `plugin ${this.id} stopped`);
  }

  private async waitExit(child: ChildHandle, ms: number): Promise<boolean> {
    if (child.exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      child.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return exited;
  }

  private async shutdown(child: ChildHandle, uninstall = false): Promise<ShutdownResult | undefined> {
    const { stopTimeoutMs, killGraceMs } = this.limits;
    let result: ShutdownResult | undefined;
    if (!child.exit) {
      try {
        // The child bounds stop() and the hook by stopTimeoutMs each; this bounds the whole answer.
        result =
          (await this.race(
            child,
            child.peer.call('shutdown', { timeoutMs: stopTimeoutMs, ...(uninstall && { uninstall }) }),
            (uninstall ? 2 * stopTimeoutMs : stopTimeoutMs) + 500,
            uninstall ? 'stop and uninstall' : 'stop',
          )) ?? undefined;
        if (result?.stopError)
          this.logger.warn(`stop failed (${result.stopError}); stopping the process anyway`);
      } catch (error) {
        if (!child.exit)
          this.logger.warn(`stop failed (${errorMessage(error)}); stopping the process anyway`);
      }
      if (!(await this.waitExit(child, killGraceMs))) {
        child.killedFor ??= 'stopped with SIGTERM';
        child.proc.kill('SIGTERM');
        if (!(await this.waitExit(child, killGraceMs))) {
          child.killedFor = 'stopped with SIGKILL (it ignored SIGTERM)';
          this.logger.warn(`process ${child.pid} ignored SIGTERM for ${killGraceMs} ms; killed`);
          child.proc.kill('SIGKILL');
          await child.exited;
        }
      }
    }
    await child.session?.dispose(1001, `plugin ${this.id} was stopped`);
    return result;
  }

  /** Why a process ended, for people: `killed by SIGKILL`, `out of memory: …`, `exited with code 1`. */
  private exitReason(child: ChildHandle, exit: ExitInfo): string {
    const tail = child.stderrTail.join('\n');
    if (/heap out of memory|Reached heap limit|Allocation failed - JavaScript heap/i.test(tail)) {
      return `out of memory: the V8 heap reached its ${this.limits.memoryMb} MB limit`;
    }
    if (child.cgroup?.oomKilled()) {
      return `out of memory: killed at the cgroup limit of ${Math.round(child.cgroup.limitBytes / 1048576)} MB`;
    }
    if (child.killedFor) return child.killedFor;
    if (exit.signal) return `killed by ${exit.signal}`;
    return `exited with code ${exit.code}`;
  }

  private async onChildExit(child: ChildHandle): Promise<void> {
    child.peer.close(new PeerClosedError(`plugin ${this.id} (pid ${child.pid}): the process exited`));
    await child.session?.dispose(1012, `plugin ${this.id} is restarting`);
    child.cgroup?.release();
    if (child !== this.current || this.stateValue !== 'running') return;
    this.current = undefined;
    this.stopHealth();
    const exit = child.exit!;
    this.recordCrash({
      at: Date.now(),
      reason: this.exitReason(child, exit),
      exitCode: exit.code,
      signal: exit.signal,
      stderr: child.stderrTail.slice(),
    });
  }

  private recordCrash(crash: CrashInfo): void {
    this.lastCrash = crash;
    const now = crash.at;
    this.crashTimes = this.crashTimes.filter((t) => t > now - this.limits.crashWindowMs);
    this.crashTimes.push(now);
    if (this.crashTimes.length >= this.limits.maxCrashes) {
      this.logger.error(
        `process crashed ${this.crashTimes.length} times within ${this.limits.crashWindowMs} ms; not restarting`,
        { reason: crash.reason, stderr: crash.stderr.slice(-10) },
      );
      this.hasService = false;
      this.setState('crashed');
      this.rejectWaiters(this.unavailable());
      return;
    }
    const delay = Math.min(
      this.limits.backoffMaxMs,
      this.limits.backoffBaseMs * 2 ** (this.crashTimes.length - 1),
    );
    this.logger.error(`process crashed (${crash.reason}); restarting in ${delay} ms`, {
      exitCode: crash.exitCode,
      signal: crash.signal,
      stderr: crash.stderr.slice(-10),
    });
    this.setState('restarting');
    this.restartTimer = setTimeout(() => void this.restart(), delay);
    this.restartTimer.unref();
  }

  private async restart(): Promise<void> {
    if (this.stateValue !== 'restarting') return;
    this.restartCount++;
    let child: ChildHandle | undefined;
    try {
      child = await this.launch();
      if (this.stateValue !== 'restarting') {
        await this.kill(child, 'stopped during a restart');
        return;
      }
      this.current = child;
      await this.startChild(child);
      if (this.stateValue !== 'restarting') return; // stop() took over meanwhile
      this.running(child);
      this.logger.info('process restarted', { pid: child.pid, restarts: this.restartCount });
    } catch (error) {
      if (child) await this.kill(child, 'restart failed');
      if (this.stateValue !== 'restarting') return;
      this.current = undefined;
      this.recordCrash({
        at: Date.now(),
        reason: `restart failed: ${errorMessage(error)}`,
        exitCode: child?.exit?.code ?? null,
        signal: child?.exit?.signal ?? null,
        stderr: child?.stderrTail.slice() ?? [],
      });
    }
  }

  private asSetupError(error: unknown, phase: 'setup' | 'start'): Error {
    if (error instanceof WebcasaError && error.code !== 'WEBCASA_REMOTE_ERROR') {
      const message = error.message.includes(this.id) ? error.message : `plugin ${this.id}: ${error.message}`;
      return new PluginError(error.code, this.id, message, error.details);
    }
    return new PluginError(
      phase === 'setup' ? 'WEBCASA_PLUGIN_SETUP_FAILED' : 'WEBCASA_PLUGIN_START_FAILED',
      this.id,
      `plugin ${this.id}: ${phase} failed: ${errorMessage(error)}`,
    );
  }
}

/** Resident set size of a process from /proc (Linux), in bytes. */
function rssOf(pid: number): number | undefined {
  if (process.platform !== 'linux' || !existsSync(`/proc/${pid}/status`)) return undefined;
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

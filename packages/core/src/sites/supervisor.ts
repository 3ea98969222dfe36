import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { tailLines } from './access-log.js';
import { type CaddyAdminClient, CaddyUnavailableError } from './caddy-client.js';
import type { SitesLogger } from './logger.js';

export type SupervisorState = 'missing' | 'starting' | 'running' | 'backoff' | 'stopped';

export interface SupervisorOptions {
  /** Finds the binary (again on every start, so an install is picked up). */
  findBinary: () => string | undefined;
  client: CaddyAdminClient;
  /** `<dataDir>/caddy`: start config, pid file, Caddy's XDG folders. */
  dir: string;
  /** Environment for the caddy process (XDG folders are set on top). */
  env: NodeJS.ProcessEnv;
  logger: SitesLogger;
  /** The smallest config that brings the admin endpoint up (used when there is no saved one). */
  bootstrapConfig: () => Record<string, unknown>;
  /** Called whenever a caddy process (new or adopted) answers on the admin endpoint. */
  onReady: () => void;
  startupTimeoutMs?: number;
  /** How often to look for a binary that was missing, and check an adopted process. */
  checkEveryMs?: number;
  maxBackoffMs?: number;
}

const LOG_LINES = 40;

/**
 * Runs the panel's own caddy: `caddy run --config <dir>/caddy.json --pidfile …`
 * with its admin API where the panel expects it. Restarts it with backoff when
 * it dies; adopts one a killed panel left running (pid file + admin answers);
 * looks again for a binary that was missing.
 */
export class CaddySupervisor {
  state: SupervisorState = 'stopped';
  binary: string | undefined;
  pid: number | undefined;
  adopted = false;
  /** Why the last start failed or the process exited. */
  lastError: string | undefined;
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private startedAt = 0;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private readonly o: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.o = { startupTimeoutMs: 15_000, checkEveryMs: 30_000, maxBackoffMs: 30_000, ...options };
  }

  get configFile(): string {
    return join(this.o.dir, 'caddy.json');
  }

  get pidFile(): string {
    return join(this.o.dir, 'caddy.pid');
  }

  /** Where caddy's stdout and stderr go (its own log is `logs/caddy.log` once configured). */
  get outputFile(): string {
    return join(this.o.dir, 'logs', 'caddy.out');
  }

  /** The last lines caddy printed (for status and errors). */
  recentOutput(): string[] {
    try {
      return tailLines(this.outputFile, LOG_LINES);
    } catch {
      return [];
    }
  }

  /** Start (or adopt) caddy. Never throws: failures go to `state`/`lastError` and are retried. */
  start(): Promise<void> {
    this.stopping = false;
    this.starting ??= this.startOnce().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Keep `config` as what caddy starts with next time (written atomically). */
  saveConfig(config: unknown): void {
    mkdirSync(this.o.dir, { recursive: true });
    const tmp = `${this.configFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(config), { mode: 0o600 });
    renameSync(tmp, this.configFile);
  }

  private schedule(ms: number, fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  private async startOnce(): Promise<void> {
    if (this.stopping) return;
    this.binary = this.o.findBinary();
    if (!this.binary) {
      this.state = 'missing';
      this.lastError = 'caddy binary not found';
      this.schedule(this.o.checkEveryMs, () => void this.start());
      return;
    }
    mkdirSync(join(this.o.dir, 'logs'), { recursive: true });
    if (await this.tryAdopt()) return;
    await this.spawnCaddy(true);
  }

  /** A caddy a killed panel left behind keeps serving; take it over instead of starting a second. */
  private async tryAdopt(): Promise<boolean> {
    if (!(await this.o.client.ping(1_000))) return false;
    const pid = readPid(this.pidFile);
    this.pid = pid !== undefined && alive(pid) ? pid : undefined;
    this.adopted = true;
    this.state = 'running';
    this.startedAt = Date.now();
    this.o.logger.info({ pid: this.pid, admin: this.o.client.address.caddy }, 'adopted a running caddy');
    this.watchAdopted();
    this.o.onReady();
    return true;
  }

  private watchAdopted(): void {
    this.schedule(Math.min(this.o.checkEveryMs, 2_000), async () => {
      if (this.stopping || !this.adopted) return;
      const gone = this.pid !== undefined ? !alive(this.pid) : !(await this.o.client.ping(1_000));
      if (gone) {
        this.adopted = false;
        this.pid = undefined;
        this.lastError = 'the adopted caddy process exited';
        this.o.logger.warn({}, 'adopted caddy exited; starting a new one');
        await this.spawnCaddy(true);
      } else {
        this.watchAdopted();
      }
    });
  }

  private async spawnCaddy(useSaved: boolean): Promise<void> {
    if (this.stopping) return;
    const address = this.o.client.address;
    // A socket file left by a killed caddy would make the new one fail to listen.
    if (address.socketPath && existsSync(address.socketPath)) rmSync(address.socketPath, { force: true });
    const saved = useSaved && existsSync(this.configFile) && statSync(this.configFile).size > 0;
    if (!saved) this.saveBootstrap();
    const dataHome = join(this.o.dir, 'xdg-data');
    const configHome = join(this.o.dir, 'xdg-config');
    mkdirSync(dataHome, { recursive: true });
    mkdirSync(configHome, { recursive: true });
    this.state = 'starting';
    this.adopted = false;
    const args = ['run', '--config', saved ? this.configFile : this.bootstrapFile, '--pidfile', this.pidFile];
    // Output goes to a file, not a pipe: a caddy that outlives a killed panel would die of
    // SIGPIPE the next time it wrote to a pipe nobody reads.
    const out = openSync(this.outputFile, 'w', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.binary!, args, {
        cwd: this.o.dir,
        env: { ...this.o.env, XDG_DATA_HOME: dataHome, XDG_CONFIG_HOME: configHome },
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.pid = child.pid;
    this.startedAt = Date.now();
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        if (exited) return;
        exited = true;
        if (this.child === child) this.child = undefined;
        this.scheduleRestart(`could not run ${this.binary}: ${error.message}`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (exited) return;
        exited = true;
        if (this.child === child) this.child = undefined;
        this.onExit(code, signal);
        resolve();
      });
    });

    const until = Date.now() + this.o.startupTimeoutMs;
    while (!exited && !this.stopping && Date.now() < until) {
      if (await this.o.client.ping(500)) break;
      await Promise.race([exit, sleep(100)]);
    }
    if (this.stopping) return;
    if (exited) {
      if (saved) {
        // The saved config may no longer start (a port taken since): start bare, then reconcile reports why.
        this.o.logger.warn({ output: this.recentOutput().slice(-5) }, 'caddy exited at start; retrying bare');
        await this.spawnCaddy(false);
      }
      return;
    }
    if (Date.now() >= until) {
      this.lastError = `caddy did not answer on ${address.caddy} within ${this.o.startupTimeoutMs} ms`;
      this.o.logger.error({ output: this.recentOutput().slice(-5) }, this.lastError);
      child.kill('SIGKILL');
      return;
    }
    this.state = 'running';
    this.lastError = undefined;
    this.o.logger.info({ pid: child.pid, admin: address.caddy }, 'caddy started');
    this.o.onReady();
  }

  private get bootstrapFile(): string {
    return join(this.o.dir, 'bootstrap.json');
  }

  private saveBootstrap(): void {
    writeFileSync(this.bootstrapFile, JSON.stringify(this.o.bootstrapConfig()), { mode: 0o600 });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) {
      this.state = 'stopped';
      return;
    }
    const tail = this.recentOutput()
      .slice(-3)
      .map((l) => extractMessage(l))
      .join(' | ');
    this.scheduleRestart(`caddy exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`);
  }

  private scheduleRestart(reason: string): void {
    this.lastError = reason;
    this.o.logger.warn({ pid: this.pid }, reason);
    this.pid = undefined;
    // Stable for a minute: the next failure starts the backoff again from the bottom.
    if (Date.now() - this.startedAt > 60_000) this.failures = 0;
    this.failures++;
    const delay = Math.min(this.o.maxBackoffMs, 500 * 2 ** Math.min(this.failures - 1, 10));
    this.state = 'backoff';
    this.schedule(delay, () => void this.start());
  }

  /** Stop and start again: the new process starts from the saved (last good) config. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stop caddy (gracefully through the admin API, then by signal). Bounded. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.starting?.catch(() => {});
    const child = this.child;
    const pid = child?.pid ?? this.pid;
    if (pid === undefined) {
      this.state = 'stopped';
      return;
    }
    try {
      await this.o.client.stop();
    } catch (error) {
      if (!(error instanceof CaddyUnavailableError)) this.o.logger.warn({ err: error }, 'caddy /stop failed');
    }
    if (!(await waitGone(pid, 5_000))) {
      signal(pid, 'SIGTERM');
      if (!(await waitGone(pid, 3_000))) signal(pid, 'SIGKILL');
      await waitGone(pid, 2_000);
    }
    this.child = undefined;
    this.pid = undefined;
    this.adopted = false;
    this.state = 'stopped';
  }
}

function extractMessage(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: string; error?: string };
    return [parsed.msg, parsed.error].filter(Boolean).join(': ');
  } catch {
    return line;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An exited orphan nobody has reaped yet (a zombie) still answers signal 0.
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.[0] !== 'Z';
  } catch {
    return true;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(errorMessage(error));
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

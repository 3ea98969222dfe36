import type Docker from 'dockerode';
import { type ConnectionConfig, createDocker, describeConnection } from './connection.js';
import { DockerApiError, engineMessage } from './errors.js';

/**
 * The connection to the engine and whether it answers. When it does not, routes answer 503
 * with the reason and a background check retries with a bounded exponential backoff
 * (1 s, 2 s, 4 s … at most 30 s), so the plugin picks up by itself when the engine returns.
 */

export interface EngineStatus {
  available: boolean;
  error?: string;
  hint?: string;
  engineVersion?: string;
  apiVersion?: string;
  connection: string;
}

export interface EngineOptions {
  /** Timers that the panel clears when the plugin stops. */
  after(ms: number, fn: () => void | Promise<void>): () => void;
  onAvailable?(docker: Docker): void;
  onUnavailable?(error: string): void;
  log?(msg: string, data?: Record<string, unknown>): void;
}

export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/** While the engine answers, how often to make sure it still does. */
export const HEALTH_EVERY_MS = 30_000;

/** The delay before retry number `attempt` (0-based): doubling, capped. */
export function retryDelay(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 10));
}

export class Engine {
  private client: Docker;
  private state: { available: boolean; error?: string; engineVersion?: string; apiVersion?: string } = {
    available: false,
    error: 'not checked yet',
  };
  private attempt = 0;
  private cancelTimer: (() => void) | undefined;
  private generation = 0;
  private stopped = false;

  constructor(
    private connection: ConnectionConfig,
    private readonly options: EngineOptions,
  ) {
    this.client = createDocker(connection);
  }

  get docker(): Docker {
    return this.client;
  }

  get connectionConfig(): ConnectionConfig {
    return this.connection;
  }

  get available(): boolean {
    return this.state.available;
  }

  /** The client, or a 503 naming why the engine is not available. */
  require(): Docker {
    if (!this.state.available) {
      throw new DockerApiError(
        503,
        'DOCKER_UNAVAILABLE',
        `Docker is not available: ${this.state.error ?? 'unknown reason'}`,
        undefined,
        { hint: this.hint() },
      );
    }
    return this.client;
  }

  status(): EngineStatus {
    const s: EngineStatus = {
      available: this.state.available,
      connection: describeConnection(this.connection),
    };
    if (this.state.available) {
      if (this.state.engineVersion) s.engineVersion = this.state.engineVersion;
      if (this.state.apiVersion) s.apiVersion = this.state.apiVersion;
    } else {
      s.error = this.state.error ?? 'unknown reason';
      s.hint = this.hint();
    }
    return s;
  }

  private hint(): string {
    if (this.connection.kind === 'socket') {
      return `Is Docker installed and running? The panel connects to ${this.connection.path}; check that the path in the Docker plugin's settings is right and that the panel's user may use it (root, or the docker group). The panel retries by itself.`;
    }
    return `Is the Docker engine at ${describeConnection(this.connection)} running and reachable from this machine? The panel retries by itself.`;
  }

  /** Switch to another connection (settings changed) and check it at once. */
  async reconnect(connection: ConnectionConfig): Promise<void> {
    this.connection = connection;
    this.client = createDocker(connection);
    const wasAvailable = this.state.available;
    this.state = { available: false, error: 'not checked yet' };
    if (wasAvailable) this.options.onUnavailable?.('connection changed');
    this.attempt = 0;
    await this.check();
  }

  /** Ping the engine now; schedules the next check either way. */
  async check(): Promise<boolean> {
    if (this.stopped) return false;
    const generation = ++this.generation;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const client = this.client;
    let ok = false;
    let error = '';
    try {
      await withTimeout(client.ping(), 5000, 'the engine did not answer within 5 s');
      const v = await withTimeout(client.version(), 5000, 'the engine did not answer within 5 s');
      ok = true;
      if (generation !== this.generation || this.stopped) return ok;
      const before = this.state.available;
      this.state = { available: true, engineVersion: v.Version, apiVersion: v.ApiVersion };
      this.attempt = 0;
      if (!before) {
        this.options.log?.('docker engine available', { version: v.Version, api: v.ApiVersion });
        this.options.onAvailable?.(client);
      }
    } catch (e) {
      error = engineMessage(e);
      if (generation !== this.generation || this.stopped) return false;
      const before = this.state.available;
      this.state = { available: false, error };
      if (before) {
        this.options.log?.('docker engine unavailable', { error });
        this.options.onUnavailable?.(error);
      }
    }
    const delay = ok ? HEALTH_EVERY_MS : retryDelay(this.attempt++);
    this.cancelTimer = this.options.after(delay, () => {
      void this.check();
    });
    return ok;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_ID_PATTERN, type PluginLogger } from '@webcasa/plugin-sdk';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { WebcasaError } from '../errors.js';
import { type RotationOptions, startRotationChecker } from './rotation.js';

type Destination = ReturnType<typeof pino.destination>;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggingOptions {
  /** Size rotation; default on (env WEBCASA_LOG_MAX_BYTES / WEBCASA_LOG_KEEP, else 10 MiB / 5). false = off. */
  rotation?: (RotationOptions & { intervalMs?: number }) | false;
  /** Log files go to `<dataDir>/logs/`. */
  dataDir: string;
  /** Minimum level. Default: env `WEBCASA_LOG_LEVEL`, else `info`. */
  level?: string;
  /** Also write core and plugin lines to stdout. Default true. */
  stdout?: boolean;
}

export interface Loggers {
  /** The core logger: stdout and `<dataDir>/logs/core.log`. */
  readonly root: Logger;
  /** A plugin's logger, bound `{ plugin: id }`: its own file plus the core streams. */
  forPlugin(id: string): Logger;
  /** The same logger shaped as the SDK's `PluginLogger` (message first, data second). */
  pluginLogger(id: string): PluginLogger;
  /** Path of a plugin's log file (`<dataDir>/logs/<id>.log`). */
  logFile(id: string): string;
  /** Reopen every log file in place, e.g. on SIGHUP after logrotate moved them. */
  reopen(): void;
  /** Flush and close every file stream. Logging afterwards is a no-op. */
  close(): Promise<void>;
}

// Keys a log line may carry secrets under; pino replaces their values.
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  'cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

function resolveLevel(level: string | undefined): string {
  const chosen = (level ?? process.env.WEBCASA_LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LEVELS as readonly string[]).includes(chosen)) {
    throw new WebcasaError(
      'WEBCASA_BAD_LOG_LEVEL',
      `log level "${chosen}" is not one of ${LEVELS.join(', ')} (set by the level option or WEBCASA_LOG_LEVEL)`,
    );
  }
  return chosen;
}

function baseOptions(level: string): LoggerOptions {
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Labels ("info") rather than numbers: the files are read by people as often as by tools.
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
  };
}

/**
 * Structured JSON logging for the core and each plugin, with pino.
 *
 * Core lines go to stdout and `<dataDir>/logs/core.log`; a plugin's lines go to
 * `<dataDir>/logs/<id>.log` and to the core streams, tagged `"plugin": "<id>"`.
 * Files are written synchronously, so a line is on disk when the call returns.
 *
 * @example
 * const logs = createLoggers({ dataDir: '/var/lib/webcasa' });
 * logs.root.info({ port: 39921 }, 'listening');
 * logs.pluginLogger('docker').warn('daemon not reachable', { socket: '/var/run/docker.sock' });
 * await logs.close();
 */
export function createLoggers(options: LoggingOptions): Loggers {
  const level = resolveLevel(options.level);
  const dir = join(options.dataDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const files: Destination[] = [];
  const byPath = new Map<string, Destination>();
  function openFile(path: string): Destination {
    // 0600: logs can hold host names, paths and user names.
    const dest = pino.destination({ dest: path, sync: true, mkdir: true, mode: 0o600 });
    files.push(dest);
    byPath.set(path, dest);
    return dest;
  }

  const coreStreams: Destination[] = [openFile(join(dir, 'core.log'))];
  let stdout: Destination | undefined;
  if (options.stdout ?? true) {
    stdout = pino.destination({ fd: 1, sync: true });
    coreStreams.push(stdout);
  }
  // Streams accept every level; the logger's own level decides what is written.
  const streamsOf = (dests: Destination[]) =>
    pino.multistream(dests.map((stream) => ({ stream, level: 'trace' as const })));

  const root = pino(baseOptions(level), streamsOf(coreStreams));
  const plugins = new Map<string, Logger>();
  let closed = false;
  const rotation =
    options.rotation === false
      ? undefined
      : startRotationChecker({
          ...options.rotation,
          files: () => byPath.keys(),
          onRotated: (path) => byPath.get(path)?.reopen(),
          onError: (err, path) => root.warn({ err, path }, 'rotating a log file failed'),
        });

  function logFile(id: string): string {
    if (!PLUGIN_ID_PATTERN.test(id) || id === 'core') {
      throw new WebcasaError('WEBCASA_BAD_PLUGIN_ID', `cannot open a log file for plugin id "${id}"`);
    }
    return join(dir, `${id}.log`);
  }

  function forPlugin(id: string): Logger {
    let logger = plugins.get(id);
    if (!logger) {
      const path = logFile(id);
      // A separate pino instance rather than root.child(): a child shares its parent's
      // streams, and the plugin's lines must also reach the plugin's own file.
      logger = pino(baseOptions(root.level), streamsOf([...coreStreams, openFile(path)])).child({
        plugin: id,
      });
      if (closed) logger.level = 'silent';
      plugins.set(id, logger);
    }
    return logger;
  }

  return {
    root,
    forPlugin,
    pluginLogger: (id) => adaptLogger(forPlugin(id)),
    logFile,
    reopen() {
      for (const dest of files) dest.reopen();
    },
    async close() {
      if (closed) return;
      closed = true;
      rotation?.stop();
      // Silence first: a late line written to an ended stream would throw.
      root.level = 'silent';
      for (const logger of plugins.values()) logger.level = 'silent';
      stdout?.flushSync();
      await Promise.all(
        files.map(
          (dest) =>
            new Promise<void>((resolve) => {
              dest.once('close', () => resolve());
              dest.once('error', () => resolve());
              dest.end();
            }),
        ),
      );
    },
  };
}

// Keys pino (or the host) sets on every line; a plugin must not overwrite them.
const RESERVED = new Set(['plugin', 'level', 'time', 'msg', 'pid', 'hostname']);

function safeData(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(data)) {
    if (RESERVED.has(key)) {
      out ??= { ...data };
      delete out[key];
      out[`data.${key}`] = data[key];
    }
  }
  return out ?? data;
}

/**
 * Adapt a pino logger to the SDK's `PluginLogger` (message first, data second).
 *
 * @example
 * const log = adaptLogger(pino());
 * log.info('pulled image', { image: 'nginx:1.27' });
 */
export function adaptLogger(logger: Logger): PluginLogger {
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, data?: Record<string, unknown>): void => {
      const clean = safeData(data);
      if (clean) logger[level](clean, String(msg));
      else logger[level](String(msg));
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => adaptLogger(logger.child(safeData(bindings) ?? {})),
  };
}

/**
 * The entry of an isolated plugin's process. The panel starts it with
 * `process.execPath` (see `IsolatedPlugin`); started any other way it prints
 * what it is and exits with code 2.
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ServerPlugin } from '@webcasa/plugin-sdk';
import type { Context } from 'hono';
import { errorMessage, WebcasaError } from '../errors.js';
import type { DispatchEnv, PluginRuntime as Runtime } from '../plugins/context.js';
import {
  CHANNEL_FD,
  EXIT_CODES,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  NOT_BY_HAND_MESSAGE,
  negotiate,
  PROTOCOL_VERSIONS_KEY,
  parseVersions,
  SUPPORTED_PROTOCOLS,
} from './handshake.js';
import { type ChildPeer, type HttpResponseHead, type ShutdownResult, serviceMethods } from './protocol.js';
import { RpcPeer } from './rpc.js';

if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
  process.stderr.write(NOT_BY_HAND_MESSAGE);
  process.exit(EXIT_CODES.NO_COOKIE);
}

const offered = parseVersions(process.env[PROTOCOL_VERSIONS_KEY]);
const protocol = negotiate(offered);
if (protocol === undefined) {
  process.stderr.write(
    `webcasa plugin process: protocol version mismatch: the panel offers [${offered.join(', ')}], ` +
      `this process speaks [${SUPPORTED_PROTOCOLS.join(', ')}]. Update the panel or the plugin host package.\n`,
  );
  process.exit(EXIT_CODES.PROTOCOL_MISMATCH);
}
// Neither the cookie nor the offer is passed on to anything the plugin starts.
delete process.env[MAGIC_COOKIE_KEY];
delete process.env[PROTOCOL_VERSIONS_KEY];

let socket: Socket;
try {
  socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
} catch (error) {
  process.stderr.write(
    `webcasa plugin process: no RPC channel on fd ${CHANNEL_FD}: ${errorMessage(error)}\n`,
  );
  process.exit(EXIT_CODES.CHANNEL);
}

const peer: ChildPeer = new RpcPeer(socket, { name: 'panel', streamParity: 0 });
let shuttingDown = false;
let plugin: ServerPlugin | undefined;
let runtime: Runtime | undefined;

peer.onClose((reason) => {
  // The panel is gone (or asked us to stop): nothing here may outlive it.
  if (!shuttingDown) process.stderr.write(`webcasa plugin process: ${reason.message}; exiting\n`);
  process.exit(shuttingDown ? 0 : EXIT_CODES.CHANNEL);
});

function withTimeout<T>(work: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(work),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WebcasaError('WEBCASA_PLUGIN_TIMEOUT', `${what} did not finish within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

// The context's modules load before the hello, so the panel's setup timeout, like in-process,
// measures the plugin (its entry and its setup), not the loading of Kysely, Hono and zod.
const [
  { isServerPlugin },
  { createPluginContext, PluginRuntime },
  { errorResponse },
  { notAPlugin, RemoteServices },
] = await Promise.all([
  import('@webcasa/plugin-sdk'),
  import('../plugins/context.js'),
  import('../http/error-handler.js'),
  import('./child-context.js'),
]);

peer.handle('setup', async (params) => {
  const { manifest } = params;
  const mod: unknown = await import(pathToFileURL(params.serverEntry).href);
  const candidate = isServerPlugin(mod) ? mod : (mod as { default?: unknown })?.default;
  if (!isServerPlugin(candidate)) throw notAPlugin(manifest.id);
  const remote = new RemoteServices(peer, params);
  const logger = remote.deps.pluginLogger(manifest.id);
  runtime = new PluginRuntime(manifest, remote.bus, (error, c: Context) => {
    // As in-process: client errors are the caller's business, the rest is logged.
    if (!(error instanceof Error) || !('status' in error) || (error as { status: number }).status >= 500) {
      logger.error('request failed', { error: errorMessage(error), path: c.req.path });
    }
    return errorResponse(error, c);
  });
  const ctx = createPluginContext(manifest, runtime, remote.deps);
  await candidate.setup(ctx);
  await remote.settled();
  plugin = candidate;
  return { service: runtime.service ? serviceMethods(runtime.service) : null };
});

peer.handle('start', async () => {
  await plugin?.start?.();
  return null;
});

peer.handle('shutdown', async ({ timeoutMs, uninstall }) => {
  shuttingDown = true;
  const id = runtime?.manifest.id;
  const result: ShutdownResult = {};
  try {
    try {
      if (plugin?.stop) await withTimeout(plugin.stop(), timeoutMs, `plugin ${id}: stop`);
    } catch (error) {
      result.stopError = errorMessage(error);
    }
    runtime?.teardown();
    // As in-process: the hook runs after the plugin stopped, while its context (database,
    // config, over this channel) still answers.
    if (uninstall) {
      if (!plugin?.uninstall) result.uninstall = 'none';
      else {
        try {
          await withTimeout(plugin.uninstall(), timeoutMs, `plugin ${id}: uninstall`);
          result.uninstall = 'ran';
        } catch (error) {
          result.uninstall = 'failed';
          result.uninstallError = errorMessage(error);
        }
      }
    }
  } finally {
    // After the answer is on its way: flush, close the channel, exit.
    setImmediate(() => {
      void peer.end().finally(() => process.exit(0));
    });
  }
  return result;
});

peer.handle('ping', () => {
  const mem = process.memoryUsage();
  return {
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    uptimeMs: Math.round(process.uptime() * 1000),
  };
});

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const INLINE_MAX = 64 * 1024;
const PENDING = Symbol('pending');

/**
 * A response body as it will cross: whole, when it is small and was complete by the time the
 * handler returned (a string or bytes: the common case, one frame and no stream); else a
 * stream of all of it, the chunks already read included.
 */
async function takeBody(
  body: ReadableStream<Uint8Array>,
): Promise<{ inline: Uint8Array } | { stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) return { inline: new Uint8Array(0) };
  let next: ReturnType<typeof reader.read> | undefined = reader.read();
  // A body that is already complete reports its end within this turn of the event loop.
  const early = await Promise.race([
    next,
    new Promise<typeof PENDING>((r) => setImmediate(() => r(PENDING))),
  ]);
  if (early !== PENDING && early.done && first.value.byteLength <= INLINE_MAX) return { inline: first.value };
  return {
    stream: new ReadableStream<Uint8Array>(
      {
        start: (controller) => controller.enqueue(first.value),
        pull: async (controller) => {
          const result = await (next ?? reader.read());
          next = undefined;
          if (result.done) controller.close();
          else controller.enqueue(result.value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    ),
  };
}

peer.handle('http', async (head, { signal }) => {
  if (!runtime) throw new WebcasaError('WEBCASA_PLUGIN_NOT_READY', 'the plugin is not set up', 503);
  const request = new Request(head.url, {
    method: head.method,
    headers: head.headers,
    body: head.inline ?? (head.body === null ? null : peer.receiveStream(head.body)),
    signal,
    // Node's fetch needs this for a streamed request body.
    duplex: 'half',
  } as RequestInit);
  const env: DispatchEnv = { user: head.user, requestId: head.requestId };
  if (head.remote) env.incoming = { socket: head.remote };
  const response = await runtime.fetch(request, env);
  const answer: HttpResponseHead = {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: null,
  };
  if (response.body && !NULL_BODY.has(response.status)) {
    const taken = await takeBody(response.body);
    if ('inline' in taken) answer.inline = taken.inline;
    else answer.body = peer.sendStream(taken.stream);
  }
  return answer;
});

peer.handle('service.call', async ({ method, args }) => {
  const service = runtime?.service as Record<string, unknown> | undefined;
  if (!service || !serviceMethods(service).includes(method)) {
    throw new WebcasaError(
      'WEBCASA_PLUGIN_SERVICE_METHOD',
      `plugin ${runtime?.manifest.id}: its service has no method "${method}"`,
      404,
    );
  }
  return await (service[method] as (...a: unknown[]) => unknown)(...(Array.isArray(args) ? args : []));
});

peer.notify('hello', {
  cookie: MAGIC_COOKIE_VALUE,
  protocol,
  pid: process.pid,
  node: process.version,
});

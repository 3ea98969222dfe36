import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import type {} from './api.js';
import { detectCompose } from './compose.js';
import { type ConnectionSettings, connectionFromSettings } from './connection.js';
import { Engine } from './engine.js';
import { DockerApiError, errorBody } from './errors.js';
import { followEvents } from './events.js';
import { Pulls } from './pull.js';
import { containerRoutes } from './routes/containers.js';
import type { RouteDeps } from './routes/deps.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { stackRoutes } from './routes/stacks.js';
import { volumeRoutes } from './routes/volumes.js';
import { createDockerService } from './service.js';
import { Stacks } from './stacks.js';
import { wsRoutes } from './ws.js';

export type * from './api.js';
export { reviewCompose, reviewComposeObject } from './safety.js';

type Config = ConnectionSettings & Record<string, unknown>;

/** Routes that work without the engine: the status itself and the pure safety review. */
const WITHOUT_ENGINE = [/\/status$/, /\/stacks\/review$/];

/**
 * A fresh plugin object (its state lives in the closure, so two panels in one process — as in
 * tests — never share an engine). The default export is one of these.
 */
export function createDockerPlugin() {
  let current: { engine: Engine; stopEvents: () => void; stopping: boolean } | undefined;
  return defineServerPlugin<Config>({
    async setup(ctx: PluginContext<Config>) {
      let stopEvents: () => void = () => undefined;
      const state = {
        engine: undefined as unknown as Engine,
        stopEvents: () => stopEvents(),
        stopping: false,
      };
      const startEvents = (docker: Engine['docker']) => {
        stopEvents();
        followEvents(
          docker,
          (ev) => (ctx.events.emit as (type: string, payload: unknown) => boolean)(ev.type, ev.payload),
          (error) => {
            // The stream ended: the engine went away or restarted. Check it (and resubscribe).
            if (state.stopping) return;
            ctx.logger.warn('docker event stream ended', error ? { error: String(error) } : {});
            stopEvents = () => undefined;
            void engine.check().then((ok) => ok && engine.available && startEvents(engine.docker));
          },
        ).then(
          (stop) => {
            stopEvents = stop;
          },
          (e) => ctx.logger.warn('docker event stream failed', { error: String(e) }),
        );
      };
      const engine = new Engine(connectionFromSettings(await ctx.config.get()), {
        after: (ms, fn) => ctx.schedule.after(ms, fn),
        onAvailable: (docker) => startEvents(docker),
        onUnavailable: () => stopEvents(),
        log: (msg, data) => ctx.logger.info(msg, data),
      });
      state.engine = engine;
      current = state;
      const stacks = new Stacks({
        dataDir: ctx.dataDir,
        engine,
        runs: ctx.runs,
        compose: () => detectCompose(),
      });
      const deps: RouteDeps = { ctx, engine, stacks, pulls: new Pulls(engine, ctx.runs) };

      // Everything but the status answers 503 with the reason while the engine is away.
      ctx.router.use('*', async (c, next) => {
        if (!engine.available && !WITHOUT_ENGINE.some((re) => re.test(c.req.path))) {
          const s = engine.status();
          const error = new DockerApiError(
            503,
            'DOCKER_UNAVAILABLE',
            `Docker is not available: ${s.error ?? 'unknown reason'}`,
            undefined,
            {
              hint: s.hint,
              connection: s.connection,
            },
          );
          return c.json(errorBody(error), 503);
        }
        await next();
      });
      ctx.router.get('/status', ctx.requireScope('read'), async (c) => {
        const compose = await detectCompose();
        return c.json({
          ...engine.status(),
          compose: compose ? { kind: compose.kind, version: compose.version } : null,
        });
      });
      stackRoutes(deps);
      containerRoutes(deps);
      imageRoutes(deps);
      networkRoutes(deps);
      volumeRoutes(deps);
      wsRoutes(ctx, engine);

      ctx.config.watch(async (config) => {
        await engine.reconnect(connectionFromSettings(config));
      });
      ctx.provide(createDockerService(engine, stacks));
      void detectCompose();
    },
    async start() {
      // Check at once, but never hold up the panel's start for long: retries continue in the background.
      const engine = current?.engine;
      if (engine) await Promise.race([engine.check(), new Promise((r) => setTimeout(r, 3000))]);
    },
    async stop() {
      if (!current) return;
      current.stopping = true;
      current.engine.stop();
      current.stopEvents();
      current = undefined;
    },
  });
}

export default createDockerPlugin();

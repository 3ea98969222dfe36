import {
  defineServerPlugin,
  type PluginContext,
  type PluginSocket,
  type ServerPlugin,
} from '@webcasa/plugin-sdk';
import type { Context } from 'hono';
import { z } from 'zod';
import { flatten } from './metrics.js';
import { type AlertNotice, type ChannelResult, describe, sendEmail, sendWebhook } from './notify.js';
import { RuleEngine, ruleKey, type Transition } from './rules.js';
import { createSystemSource } from './source-si.js';
import {
  history,
  loadRuleStates,
  type MaintenanceResult,
  type MonitorDatabase,
  maintain,
  migrations,
  saveRuleStates,
  writeMinute,
} from './store.js';
import {
  type Comparison,
  type DockerStatsService,
  type MetricSource,
  type Metrics,
  RANGES,
  type Range,
  type Rule,
  type Sample,
} from './types.js';

export type { AlertNotice, ChannelResult } from './notify.js';
export { RuleEngine, type Transition } from './rules.js';
export { createFakeSource, type FakeSource } from './source-fake.js';
export { createSystemSource } from './source-si.js';
export type { Aggregate, HistoryResult, MonitorDatabase } from './store.js';
export type { Comparison, MetricSource, Metrics, Range, Rule, Sample } from './types.js';

/** Payload of `monitor.alert.fired` and `monitor.alert.resolved`. */
export interface AlertEventPayload {
  ruleId: number;
  name: string;
  metric: string;
  comparison: Comparison;
  threshold: number;
  value: number;
  /** Epoch ms of the sample that changed the alert's state. */
  at: number;
}

declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    'monitor.alert.fired': AlertEventPayload;
    'monitor.alert.resolved': AlertEventPayload;
    // The core's, copied as docs/plugins/events.md says (the core is not a dependency).
    'plugin.enabled': { id: string };
    'plugin.disabled': { id: string };
  }
}

/** The settings, as declared in manifest.json `config`. */
export type MonitorConfig = {
  sampleIntervalSeconds: number;
  liveIntervalSeconds: number;
  rollupAfterDays: number;
  retentionDays: number;
  topProcesses: number;
  webhookUrl?: string;
  smtpHost?: string;
  smtpPort: number;
  smtpSecure: boolean;
  smtpUser?: string;
  smtpPassword?: string;
  smtpFrom?: string;
  smtpTo?: string;
};

type Ctx = PluginContext<MonitorConfig, MonitorDatabase>;

/** What tests and the benchmark can drive directly (handed to `onReady`). */
export interface MonitorHandle {
  /** Take one sample now, as the timers do: updates the latest sample, the minute row and the alerts. */
  collect(): Promise<Sample>;
  /** Write the current minute's average now (normally written when the next minute begins). */
  flush(): Promise<void>;
  /** Roll up and delete old history now (normally hourly). */
  maintain(): Promise<MaintenanceResult>;
  /** Resolves when every notification started so far has been delivered or has failed. */
  idle(): Promise<void>;
  /** Number of open live sockets, and whether the fast live loop runs. */
  live(): { sockets: number; running: boolean };
}

export interface MonitorOptions {
  /** Where samples come from. Default: the real machine (systeminformation). */
  source?: MetricSource;
  /** The clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Called at the end of setup with a handle on the running monitor. */
  onReady?: (handle: MonitorHandle) => void;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

const metricName = z
  .string({ error: 'is required' })
  .min(1, 'is required')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9_.:/@-]+$/, 'must be a metric name like cpu.total');

const historyQuery = z.object({
  metric: metricName,
  range: z.enum(['1h', '24h', '7d', '30d'], { error: 'must be one of 1h, 24h, 7d, 30d' }).default('1h'),
  agg: z.enum(['avg', 'min', 'max', 'all'], { error: 'must be one of avg, min, max, all' }).default('avg'),
});

const ruleBody = z.object({
  name: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(120, 'must be at most 120 characters'),
  metric: metricName,
  comparison: z.enum(['>', '>=', '<', '<='], { error: 'must be one of >, >=, <, <=' }),
  threshold: z.number({ error: 'must be a number' }).finite('must be a number'),
  durationSeconds: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(86_400, 'must be at most 86400')
    .default(60),
  hysteresis: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').default(0),
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
});

const testBody = z.object({
  channel: z
    .enum(['all', 'panel', 'webhook', 'email'], { error: 'must be all, panel, webhook or email' })
    .default('all'),
});

/** Answers a zod failure with the panel's error shape, naming the first bad field. */
function badRequest(c: Context, where: 'query' | 'body', error: z.ZodError) {
  const issue = error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  return c.json(
    {
      error: {
        code: 'MONITOR_BAD_REQUEST',
        message: `${field}: ${issue?.message ?? 'is invalid'}`,
        field,
        details: {
          issues: error.issues.map((i) => ({
            path: [where, ...i.path.map(String)].join('.'),
            message: i.message,
          })),
        },
      },
    },
    400,
  );
}

type RuleRow = MonitorDatabase['plugin_monitor_rules'];
const toRule = (r: Omit<RuleRow, 'id'> & { id: number }): Rule => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  comparison: r.comparison as Comparison,
  threshold: r.threshold,
  durationSeconds: r.duration_seconds,
  hysteresis: r.hysteresis,
  enabled: r.enabled === 1,
});

/**
 * Makes the Monitor plugin's server entry. The default export uses the real machine; tests
 * and the benchmark pass a fake source and clock.
 *
 * @example
 * const fake = createFakeSource({ cpu: 95 });
 * let handle!: MonitorHandle;
 * const plugin = createMonitorPlugin({ source: fake, now: () => clock, onReady: (h) => { handle = h; } });
 * const t = await startTestPanel({ plugins: [{ manifest, plugin }] });
 */
export function createMonitorPlugin(
  options: MonitorOptions = {},
): ServerPlugin<MonitorConfig, MonitorDatabase> {
  const now = options.now ?? Date.now;
  return defineServerPlugin<MonitorConfig, MonitorDatabase>({
    async setup(ctx: Ctx) {
      await ctx.migrate(migrations);
      const source = options.source ?? createSystemSource();
      const engine = new RuleEngine();
      let latest: (Sample & { metrics: Metrics }) | null = null;
      let minute: { bucket: number; list: Metrics[] } | null = null;
      let collecting: Promise<Sample> | null = null;
      const deliveries = new Set<Promise<unknown>>();
      const track = (p: Promise<unknown>) => {
        deliveries.add(p);
        void p.finally(() => deliveries.delete(p));
      };

      let keys = new Map<number, string>();
      const keyOf = (id: number) => keys.get(id);
      // Rule-state writes run one after another, in the order the engine changed.
      let saving: Promise<void> = Promise.resolve();
      const saveStates = (): Promise<void> => {
        const changes = engine.takeChanges();
        if (changes.length === 0) return saving;
        const snapshot = new Map(keys);
        saving = saving
          .then(() => saveRuleStates(ctx.db, changes, (id) => snapshot.get(id), now()))
          .catch((e: unknown) => ctx.logger.warn('alert state not saved', { error: String(e) }));
        return saving;
      };

      async function loadRules(): Promise<Rule[]> {
        const rows = await ctx.db.selectFrom('plugin_monitor_rules').selectAll().orderBy('id').execute();
        const rules = rows.map(toRule);
        keys = new Map(rules.filter((r) => r.enabled).map((r) => [r.id, ruleKey(r)]));
        engine.setRules(rules);
        await saveStates();
        return rules;
      }
      await loadRules();
      // After a restart: take back firing alerts and pending durations (see plugin_monitor_rule_state).
      engine.restore(await loadRuleStates(ctx.db, keyOf));
      engine.takeChanges();

      // The docker plugin is optional. Its service is looked up again when docker is enabled
      // or disabled at run time (a restarted plugin provides a new service object), and
      // otherwise at most once a minute (it may have been installed meanwhile).
      let docker: { at: number; service: DockerStatsService | null } = { at: -Infinity, service: null };
      const forgetDocker = (event: { payload: { id: string } }) => {
        if (event.payload.id === 'docker') docker = { at: -Infinity, service: null };
      };
      ctx.events.on('plugin.enabled', forgetDocker);
      ctx.events.on('plugin.disabled', forgetDocker);
      async function containers(): Promise<Sample['containers']> {
        const t = Date.now();
        if (t - docker.at > MINUTE) {
          docker = { at: t, service: null };
          try {
            const svc = (await ctx.use('docker')) as Partial<DockerStatsService> | undefined;
            if (svc && typeof svc.containerStats === 'function') docker.service = svc as DockerStatsService;
          } catch {
            // not installed or not running: no container metrics
          }
        }
        if (!docker.service) return [];
        try {
          return (await docker.service.containerStats()).map((c) => ({
            id: String(c.id),
            name: String(c.name),
            cpu: Number(c.cpu) || 0,
            memBytes: Number(c.memBytes) || 0,
          }));
        } catch (e) {
          // An engine that is down (or not checked yet at start) means no container
          // metrics this round; plugin-docker shows and retries that state itself.
          if ((e as { status?: number }).status === 503) return [];
          ctx.logger.warn('docker container stats failed', { error: String(e) });
          return [];
        }
      }

      async function flushMinute(): Promise<void> {
        if (!minute || minute.list.length === 0) return;
        const { bucket, list } = minute;
        minute = { bucket, list: [] };
        await writeMinute(ctx.db, bucket, list);
      }

      async function onTransition(t: Transition): Promise<void> {
        const payload: AlertEventPayload = {
          ruleId: t.rule.id,
          name: t.rule.name,
          metric: t.rule.metric,
          comparison: t.rule.comparison,
          threshold: t.rule.threshold,
          value: t.value,
          at: t.at,
        };
        await ctx.db
          .insertInto('plugin_monitor_alerts')
          .values({
            rule_id: t.rule.id,
            rule_name: t.rule.name,
            metric: t.rule.metric,
            kind: t.kind,
            value: t.value,
            at: t.at,
          })
          .execute();
        ctx.events.emit(t.kind === 'fired' ? 'monitor.alert.fired' : 'monitor.alert.resolved', payload);
        const notice: AlertNotice = { kind: t.kind, ...payload };
        const results = await deliver(notice, 'all');
        ctx.logger.info(`alert ${t.kind}`, { rule: t.rule.name, value: t.value, ...results });
      }

      async function deliver(notice: AlertNotice, channel: 'all' | 'panel' | 'webhook' | 'email') {
        const config = await ctx.config.get();
        const { title, body } = describe(notice);
        const results: { panel?: ChannelResult; webhook?: ChannelResult; email?: ChannelResult } = {};
        const jobs: Promise<void>[] = [];
        if (channel === 'all' || channel === 'panel') {
          jobs.push(
            ctx
              .notify({
                title,
                body,
                priority: notice.kind === 'fired' ? 'high' : 'normal',
                link: '/p/monitor/rules',
              })
              .then(
                () => {
                  results.panel = 'sent';
                },
                (e) => {
                  results.panel = `failed: ${String(e)}`;
                },
              ),
          );
        }
        if (channel === 'all' || channel === 'webhook') {
          jobs.push(
            sendWebhook(config, notice, ctx.signal).then((r) => {
              results.webhook = r;
            }),
          );
        }
        if (channel === 'all' || channel === 'email') {
          jobs.push(
            sendEmail(config, notice).then((r) => {
              results.email = r;
            }),
          );
        }
        await Promise.all(jobs);
        return results;
      }

      async function collectOnce(): Promise<Sample> {
        const { topProcesses } = await ctx.config.get();
        const [reading, ctrs] = await Promise.all([source.sample({ processes: topProcesses }), containers()]);
        const ts = now();
        const sample: Sample = { ts, ...reading, containers: ctrs };
        const metrics = flatten(sample);
        latest = { ...sample, metrics };
        const bucket = Math.floor(ts / MINUTE) * MINUTE;
        if (minute && minute.bucket !== bucket) await flushMinute();
        if (!minute || minute.bucket !== bucket) minute = { bucket, list: [] };
        minute.list.push(metrics);
        const transitions = engine.evaluate(metrics, ts);
        // The new state is saved before anyone is told, so a restart right after a `fired`
        // notification does not fire the same alert again.
        await saveStates();
        for (const t of transitions) track(onTransition(t));
        if (sockets.size > 0) {
          const message = JSON.stringify({ type: 'sample', sample: latest });
          for (const s of sockets) s.send(message);
        }
        return sample;
      }

      /** One sample at a time: a caller arriving during a sample gets that sample. */
      function collect(): Promise<Sample> {
        if (!collecting) {
          collecting = collectOnce().finally(() => {
            collecting = null;
          });
        }
        return collecting;
      }
      const safeCollect = async (): Promise<void> => {
        try {
          await collect();
        } catch (e) {
          ctx.logger.warn('sampling failed', { error: e instanceof Error ? e.message : String(e) });
        }
      };

      // Background sampling, re-planned when the interval changes. Paused while the live loop runs.
      const sockets = new Set<PluginSocket>();
      let cancelLive: (() => void) | null = null;
      let cancelBackground = () => {};
      const planBackground = (seconds: number) => {
        cancelBackground();
        cancelBackground = ctx.schedule.every(seconds * 1000, () => {
          if (!cancelLive) return safeCollect();
          return undefined;
        });
      };
      const startLive = (seconds: number) => {
        cancelLive?.();
        cancelLive = ctx.schedule.every(seconds * 1000, safeCollect);
      };
      const initial = await ctx.config.get();
      planBackground(initial.sampleIntervalSeconds);
      ctx.config.watch((config) => {
        planBackground(config.sampleIntervalSeconds);
        if (cancelLive) startLive(config.liveIntervalSeconds);
      });

      // History upkeep: hourly, and once shortly after start.
      const upkeep = async () => {
        const config = await ctx.config.get();
        const result = await maintain(ctx.db, now(), config);
        if (result.rolledUpMinutes || result.deletedHours || result.deletedMinutes)
          ctx.logger.info('history maintained', { ...result });
        return result;
      };
      const safeUpkeep = async (): Promise<void> => {
        await upkeep();
      };
      ctx.schedule.every(HOUR, safeUpkeep);
      ctx.schedule.after(30_000, safeUpkeep);

      ctx.ws.route('/live', async (socket) => {
        sockets.add(socket);
        socket.onClose(() => {
          sockets.delete(socket);
          if (sockets.size === 0 && cancelLive) {
            cancelLive();
            cancelLive = null;
          }
        });
        if (!cancelLive) startLive((await ctx.config.get()).liveIntervalSeconds);
        if (latest) socket.send(JSON.stringify({ type: 'sample', sample: latest }));
      });

      ctx.router.get('/current', async (c) => {
        if (!latest) await collect();
        return c.json(latest);
      });

      ctx.router.get('/metrics', async (c) => {
        const sample = latest ?? (await collect());
        return c.json({ items: Object.keys(flatten(sample)).sort() });
      });

      ctx.router.get('/history', async (c) => {
        const parsed = historyQuery.safeParse(c.req.query());
        if (!parsed.success) return badRequest(c, 'query', parsed.error);
        const { metric, range, agg } = parsed.data;
        const to = now();
        const from = to - RANGES[range as Range];
        const result = await history(ctx.db, metric, from, to, { agg });
        return c.json({ metric, range, agg, from, to, ...result });
      });

      const withState = (rule: Rule) => {
        const s = engine.state(rule.id);
        return {
          ...rule,
          state: s?.firing ? 'firing' : s?.pendingSince != null ? 'pending' : 'ok',
          lastValue: s?.lastValue ?? null,
        };
      };

      ctx.router.get('/rules', async (c) => c.json({ items: (await loadRules()).map(withState) }));

      ctx.router.post('/rules', ctx.requireScope('rules.write'), async (c) => {
        const parsed = ruleBody.safeParse(await c.req.json().catch(() => undefined));
        if (!parsed.success) return badRequest(c, 'body', parsed.error);
        const r = parsed.data;
        const row = await ctx.db
          .insertInto('plugin_monitor_rules')
          .values({
            name: r.name,
            metric: r.metric,
            comparison: r.comparison,
            threshold: r.threshold,
            duration_seconds: r.durationSeconds,
            hysteresis: r.hysteresis,
            enabled: r.enabled ? 1 : 0,
            created_at: now(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await loadRules();
        return c.json(withState(toRule(row)), 201);
      });

      const ruleId = (c: Context) => {
        const id = Number(c.req.param('id'));
        return Number.isInteger(id) && id > 0 ? id : null;
      };
      const notFound = (c: Context) =>
        c.json({ error: { code: 'MONITOR_RULE_NOT_FOUND', message: `no rule ${c.req.param('id')}` } }, 404);

      ctx.router.put('/rules/:id', ctx.requireScope('rules.write'), async (c) => {
        const id = ruleId(c);
        if (id === null) return notFound(c);
        const parsed = ruleBody.safeParse(await c.req.json().catch(() => undefined));
        if (!parsed.success) return badRequest(c, 'body', parsed.error);
        const r = parsed.data;
        const row = await ctx.db
          .updateTable('plugin_monitor_rules')
          .set({
            name: r.name,
            metric: r.metric,
            comparison: r.comparison,
            threshold: r.threshold,
            duration_seconds: r.durationSeconds,
            hysteresis: r.hysteresis,
            enabled: r.enabled ? 1 : 0,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        if (!row) return notFound(c);
        await loadRules();
        return c.json(withState(toRule(row)));
      });

      ctx.router.delete('/rules/:id', ctx.requireScope('rules.write'), async (c) => {
        const id = ruleId(c);
        if (id === null) return notFound(c);
        const res = await ctx.db.deleteFrom('plugin_monitor_rules').where('id', '=', id).executeTakeFirst();
        if (Number(res.numDeletedRows) === 0) return notFound(c);
        await loadRules();
        return c.body(null, 204);
      });

      ctx.router.get('/storage', async (c) => {
        const count = async (table: 'plugin_monitor_minute' | 'plugin_monitor_hourly') =>
          ctx.db
            .selectFrom(table)
            .select((eb) => [
              eb.fn.countAll<number>().as('rows'),
              eb.fn.min<number>('ts').as('oldest'),
              eb.fn.sum<number>(eb.fn('length', ['data'])).as('bytes'),
            ])
            .executeTakeFirstOrThrow();
        const [minute, hourly] = await Promise.all([
          count('plugin_monitor_minute'),
          count('plugin_monitor_hourly'),
        ]);
        const norm = (r: { rows: number; oldest: number | null; bytes: number | null }) => ({
          rows: Number(r.rows),
          oldest: r.oldest === null ? null : Number(r.oldest),
          dataBytes: Number(r.bytes ?? 0),
        });
        return c.json({ minute: norm(minute), hourly: norm(hourly) });
      });

      ctx.router.get('/alerts', async (c) => {
        const items = await ctx.db
          .selectFrom('plugin_monitor_alerts')
          .selectAll()
          .orderBy('id', 'desc')
          .limit(100)
          .execute();
        return c.json({ items });
      });

      const testNotice = (): AlertNotice => ({
        kind: 'test',
        ruleId: null,
        name: 'Test notification',
        metric: 'cpu.total',
        comparison: '>',
        threshold: 90,
        value: latest?.metrics['cpu.total'] ?? 0,
        at: now(),
      });

      ctx.router.post('/notifications/test', ctx.requireScope('rules.write'), async (c) => {
        const parsed = testBody.safeParse((await c.req.json().catch(() => ({}))) ?? {});
        if (!parsed.success) return badRequest(c, 'body', parsed.error);
        const results = await deliver(testNotice(), parsed.data.channel);
        return c.json({ results });
      });

      ctx.actions.handle<{ channel?: 'all' | 'panel' | 'webhook' | 'email' }>(
        'test-notification',
        async (input, run) => {
          const results = await deliver(testNotice(), input.channel ?? 'all');
          for (const [channel, result] of Object.entries(results)) {
            run.log(`${channel}: ${result}`, result.startsWith('failed') ? 'error' : 'info');
          }
          const failed = Object.entries(results).filter(([, r]) => r.startsWith('failed'));
          if (failed.length > 0) throw new Error(failed.map(([ch, r]) => `${ch} ${r}`).join('; '));
          return results;
        },
      );

      options.onReady?.({
        collect,
        flush: flushMinute,
        maintain: upkeep,
        async idle() {
          for (let i = 0; i < 100 && deliveries.size > 0; i++) await Promise.allSettled([...deliveries]);
        },
        live: () => ({ sockets: sockets.size, running: cancelLive !== null }),
      });
      // The first sample, so `current` answers at once; not awaited (setup has a time limit).
      void safeCollect();
    },
  });
}

export default createMonitorPlugin();

import { z } from 'zod';
import { createContainerBody, reviewContainer, toCreateOptions } from '../container-spec.js';
import { DockerApiError, handle, jsonBody, parse } from '../errors.js';
import { LABEL_MANAGED } from '../labels.js';
import { demuxBuffer } from '../logs.js';
import { unacceptedRisks } from '../safety.js';
import { computeStats, type EngineStats } from '../stats.js';
import { ENGINE_REF, type RouteDeps } from './deps.js';

const idParams = z.object({ id: z.string().regex(ENGINE_REF, 'not a container id or name') });
const listQuery = z.object({ all: z.enum(['0', '1', 'true', 'false']).optional() });
const stopBody = z.object({ timeout: z.number().int().min(0).max(600).optional() }).strict();
const killBody = z
  .object({
    signal: z
      .string()
      .regex(/^(SIG)?[A-Z0-9]+$/)
      .max(20)
      .optional(),
  })
  .strict();
const renameBody = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, "letters, digits, '_', '.' and '-'"),
  })
  .strict();
const removeQuery = z.object({
  force: z.enum(['0', '1', 'true', 'false']).optional(),
  volumes: z.enum(['0', '1', 'true', 'false']).optional(),
});
const logsQuery = z.object({
  tail: z.coerce.number().int().min(1).max(100_000).optional(),
  timestamps: z.enum(['0', '1', 'true', 'false']).optional(),
  since: z.coerce.number().int().min(0).optional(),
});

const yes = (v: string | undefined) => v === '1' || v === 'true';

export function containerRoutes({ ctx, engine }: RouteDeps): void {
  const r = ctx.router;
  const read = ctx.requireScope('read');
  const write = ctx.requireScope('containers.write');

  r.get(
    '/containers',
    read,
    handle(async (c) => {
      const q = parse(listQuery, c.req.query(), 'query');
      const list = await engine.require().listContainers({ all: q.all === undefined ? true : yes(q.all) });
      return c.json({
        items: list.map((x) => ({
          id: x.Id,
          name: x.Names[0]?.replace(/^\//, '') ?? x.Id.slice(0, 12),
          image: x.Image,
          state: x.State,
          status: x.Status,
          created: x.Created * 1000,
          ports: (x.Ports ?? []).map((p) => ({
            host: p.IP ?? '',
            hostPort: p.PublicPort ?? null,
            containerPort: p.PrivatePort,
            protocol: p.Type,
          })),
          stack: x.Labels?.['com.docker.compose.project'] ?? null,
          managed: x.Labels?.[LABEL_MANAGED] === '1',
        })),
      });
    }),
  );

  r.get(
    '/containers/:id',
    read,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      return c.json(await engine.require().getContainer(id).inspect());
    }),
  );

  r.post(
    '/containers',
    write,
    handle(async (c) => {
      const input = parse(createContainerBody, await jsonBody(c), 'body');
      const review = reviewContainer(input);
      const open = unacceptedRisks(review, input.acceptRisks);
      if (open.length > 0) {
        throw new DockerApiError(
          422,
          'DOCKER_RISKS_NOT_ACCEPTED',
          `the container needs confirmation: ${[...new Set(open.map((f) => f.rule))].join(', ')} (pass them in acceptRisks)`,
          'acceptRisks',
          { findings: review.findings, rules: [...new Set(open.map((f) => f.rule))] },
        );
      }
      const docker = engine.require();
      const container = await docker.createContainer(toCreateOptions(input));
      if (input.start) await container.start();
      const info = await container.inspect();
      return c.json({ id: info.Id, name: info.Name.replace(/^\//, ''), findings: review.findings }, 201);
    }),
  );

  const simple = (action: 'start' | 'restart' | 'pause' | 'unpause') =>
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      await engine.require().getContainer(id)[action]();
      return c.json({ ok: true });
    });
  r.post('/containers/:id/start', write, simple('start'));
  r.post('/containers/:id/restart', write, simple('restart'));
  r.post('/containers/:id/pause', write, simple('pause'));
  r.post('/containers/:id/unpause', write, simple('unpause'));

  r.post(
    '/containers/:id/stop',
    write,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const body = parse(stopBody, await jsonBody(c), 'body');
      await engine
        .require()
        .getContainer(id)
        .stop(body.timeout === undefined ? {} : { t: body.timeout });
      return c.json({ ok: true });
    }),
  );

  r.post(
    '/containers/:id/kill',
    write,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const body = parse(killBody, await jsonBody(c), 'body');
      await engine
        .require()
        .getContainer(id)
        .kill(body.signal ? { signal: body.signal } : {});
      return c.json({ ok: true });
    }),
  );

  r.post(
    '/containers/:id/rename',
    write,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const body = parse(renameBody, await jsonBody(c), 'body');
      await engine.require().getContainer(id).rename({ name: body.name });
      return c.json({ ok: true, name: body.name });
    }),
  );

  r.delete(
    '/containers/:id',
    write,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const q = parse(removeQuery, c.req.query(), 'query');
      await engine
        .require()
        .getContainer(id)
        .remove({ force: yes(q.force), v: yes(q.volumes) });
      return c.json({ ok: true });
    }),
  );

  r.get(
    '/containers/:id/logs',
    read,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const q = parse(logsQuery, c.req.query(), 'query');
      const container = engine.require().getContainer(id);
      const info = await container.inspect();
      const buf = (await container.logs({
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: yes(q.timestamps),
        tail: q.tail ?? 500,
        ...(q.since ? { since: q.since } : {}),
      })) as unknown as Buffer;
      return c.json({ lines: demuxBuffer(Buffer.from(buf), info.Config.Tty) });
    }),
  );

  r.get(
    '/containers/:id/stats',
    read,
    handle(async (c) => {
      const { id } = parse(idParams, c.req.param(), 'params');
      const s = (await engine.require().getContainer(id).stats({ stream: false })) as unknown as EngineStats;
      return c.json(computeStats(s));
    }),
  );
}

import { z } from 'zod';
import { handle, jsonBody, parse } from '../errors.js';
import { LABEL_MANAGED } from '../labels.js';
import { ENGINE_REF, type RouteDeps } from './deps.js';

const nameParams = z.object({ name: z.string().regex(ENGINE_REF, 'not a volume name') });
const createBody = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/, "2-128 letters, digits, '_', '.' and '-'"),
    driver: z
      .string()
      .regex(/^[a-z0-9_./:-]+$/)
      .max(255)
      .default('local'),
    labels: z.record(z.string().max(255), z.string().max(4096)).optional(),
  })
  .strict();
const removeQuery = z.object({ force: z.enum(['0', '1', 'true', 'false']).optional() });
const pruneBody = z.object({ label: z.string().min(1).max(512).optional() }).strict();

export function volumeRoutes({ ctx, engine }: RouteDeps): void {
  const r = ctx.router;
  const read = ctx.requireScope('read');
  const write = ctx.requireScope('volumes.write');

  r.get(
    '/volumes',
    read,
    handle(async (c) => {
      const res = await engine.require().listVolumes();
      return c.json({
        items: (res.Volumes ?? []).map((v) => ({
          name: v.Name,
          driver: v.Driver,
          mountpoint: v.Mountpoint,
          labels: v.Labels ?? {},
          stack: v.Labels?.['com.docker.compose.project'] ?? null,
          createdAt: (v as { CreatedAt?: string }).CreatedAt ?? null,
        })),
      });
    }),
  );

  r.get(
    '/volumes/:name',
    read,
    handle(async (c) => {
      const { name } = parse(nameParams, c.req.param(), 'params');
      return c.json(await engine.require().getVolume(name).inspect());
    }),
  );

  r.post(
    '/volumes',
    write,
    handle(async (c) => {
      const body = parse(createBody, await jsonBody(c), 'body');
      const docker = engine.require();
      // The engine answers 201 with the existing volume for a taken name; say so instead.
      const existing = await docker
        .getVolume(body.name)
        .inspect()
        .catch(() => null);
      if (existing)
        return c.json(
          {
            error: {
              code: 'DOCKER_CONFLICT',
              message: `a volume named ${body.name} already exists`,
              field: 'body.name',
            },
          },
          409,
        );
      const v = await docker.createVolume({
        Name: body.name,
        Driver: body.driver,
        Labels: { ...(body.labels ?? {}), [LABEL_MANAGED]: '1' },
      });
      return c.json({ name: (v as unknown as { Name: string }).Name ?? body.name }, 201);
    }),
  );

  r.delete(
    '/volumes/:name',
    write,
    handle(async (c) => {
      const { name } = parse(nameParams, c.req.param(), 'params');
      const q = parse(removeQuery, c.req.query(), 'query');
      await engine
        .require()
        .getVolume(name)
        .remove({ force: q.force === '1' || q.force === 'true' });
      return c.json({ ok: true });
    }),
  );

  r.post(
    '/volumes/prune',
    write,
    handle(async (c) => {
      const body = parse(pruneBody, await jsonBody(c), 'body');
      const res = await engine.require().pruneVolumes(body.label ? { filters: { label: [body.label] } } : {});
      return c.json({ deleted: res.VolumesDeleted ?? [], spaceReclaimed: res.SpaceReclaimed ?? 0 });
    }),
  );
}

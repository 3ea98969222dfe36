import { z } from 'zod';
import { handle, jsonBody, parse } from '../errors.js';
import { reviewCompose } from '../safety.js';
import { STACK_NAME, type StackAction } from '../stacks.js';
import type { RouteDeps } from './deps.js';

const COMPOSE_MAX = 512 * 1024;
const name = z.string().regex(STACK_NAME, "1-63 lower-case letters, digits, '-' or '_'");
const nameParams = z.object({ name });
const env = z.record(z.string(), z.string().max(32_768)).optional();
const deployFields = {
  compose: z.string().min(1, 'the compose file is empty').max(COMPOSE_MAX),
  env,
  acceptRisks: z.array(z.string().max(64)).max(50).optional(),
  pull: z.boolean().optional(),
};
const createBody = z.object({ name, ...deployFields }).strict();
const updateBody = z.object(deployFields).strict();
const reviewBody = z.object({ compose: z.string().max(COMPOSE_MAX) }).strict();
const actionParams = z.object({ name, action: z.enum(['up', 'start', 'stop', 'restart', 'down', 'pull']) });
const removeQuery = z.object({ removeVolumes: z.enum(['0', '1', 'true', 'false']).optional() });
const logsQuery = z.object({
  tail: z.coerce.number().int().min(1).max(10_000).optional(),
  timestamps: z.enum(['0', '1', 'true', 'false']).optional(),
});

export function stackRoutes({ ctx, engine, stacks }: RouteDeps): void {
  const r = ctx.router;
  const read = ctx.requireScope('read');
  const write = ctx.requireScope('stacks.write');

  r.get(
    '/stacks',
    read,
    handle(async (c) => c.json({ items: await stacks.list() })),
  );

  r.post(
    '/stacks/review',
    read,
    handle(async (c) => {
      const body = parse(reviewBody, await jsonBody(c), 'body');
      return c.json(reviewCompose(body.compose));
    }),
  );

  r.get(
    '/stacks/:name',
    read,
    handle(async (c) => {
      const p = parse(nameParams, c.req.param(), 'params');
      engine.require();
      const info = await stacks.get(p.name);
      if (!info)
        return c.json(
          { error: { code: 'DOCKER_STACK_NOT_FOUND', message: `no stack named ${p.name}` } },
          404,
        );
      return c.json(info);
    }),
  );

  r.get(
    '/stacks/:name/source',
    read,
    handle(async (c) => {
      const p = parse(nameParams, c.req.param(), 'params');
      return c.json(await stacks.source(p.name));
    }),
  );

  r.get(
    '/stacks/:name/logs',
    read,
    handle(async (c) => {
      const p = parse(nameParams, c.req.param(), 'params');
      const q = parse(logsQuery, c.req.query(), 'query');
      const text = await stacks.logs(p.name, {
        ...(q.tail ? { tail: q.tail } : {}),
        timestamps: q.timestamps === '1' || q.timestamps === 'true',
      });
      return c.json({ text });
    }),
  );

  r.post(
    '/stacks',
    write,
    handle(async (c) => {
      const body = parse(createBody, await jsonBody(c), 'body');
      const { runId } = await stacks.deploy(
        { ...body, owner: 'docker' },
        { createdBy: c.get('user').username, mode: 'create' },
      );
      return c.json({ runId }, 202);
    }),
  );

  r.put(
    '/stacks/:name',
    write,
    handle(async (c) => {
      const p = parse(nameParams, c.req.param(), 'params');
      const body = parse(updateBody, await jsonBody(c), 'body');
      const { runId } = await stacks.deploy(
        { ...body, name: p.name },
        { createdBy: c.get('user').username, mode: 'update' },
      );
      return c.json({ runId }, 202);
    }),
  );

  r.post(
    '/stacks/:name/:action',
    write,
    handle(async (c) => {
      const p = parse(actionParams, c.req.param(), 'params');
      const { runId } = await stacks.action(p.name, p.action as StackAction, c.get('user').username);
      return c.json({ runId }, 202);
    }),
  );

  r.delete(
    '/stacks/:name',
    write,
    handle(async (c) => {
      const p = parse(nameParams, c.req.param(), 'params');
      const q = parse(removeQuery, c.req.query(), 'query');
      const removeVolumes = q.removeVolumes === '1' || q.removeVolumes === 'true';
      const { runId } = await stacks.remove(p.name, { removeVolumes }, c.get('user').username);
      return c.json({ runId }, 202);
    }),
  );
}

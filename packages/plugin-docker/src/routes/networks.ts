import { z } from 'zod';
import { handle, jsonBody, parse } from '../errors.js';
import { LABEL_MANAGED } from '../labels.js';
import { ENGINE_REF, type RouteDeps } from './deps.js';

const nameParams = z.object({ id: z.string().regex(ENGINE_REF, 'not a network id or name') });
const createBody = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, "letters, digits, '_', '.' and '-'"),
    driver: z.enum(['bridge', 'overlay', 'macvlan', 'ipvlan']).default('bridge'),
    internal: z.boolean().default(false),
    subnet: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR like 172.30.0.0/24')
      .optional(),
    labels: z.record(z.string().max(255), z.string().max(4096)).optional(),
  })
  .strict();

export function networkRoutes({ ctx, engine }: RouteDeps): void {
  const r = ctx.router;
  const read = ctx.requireScope('read');
  const write = ctx.requireScope('networks.write');

  r.get(
    '/networks',
    read,
    handle(async (c) => {
      const list = await engine.require().listNetworks();
      return c.json({
        items: list.map((n) => ({
          id: n.Id,
          name: n.Name,
          driver: n.Driver,
          scope: n.Scope,
          internal: n.Internal,
          subnets: (n.IPAM?.Config ?? []).map((x) => x.Subnet).filter(Boolean),
          labels: n.Labels ?? {},
          builtin: ['bridge', 'host', 'none'].includes(n.Name),
        })),
      });
    }),
  );

  r.get(
    '/networks/:id',
    read,
    handle(async (c) => {
      const { id } = parse(nameParams, c.req.param(), 'params');
      return c.json(await engine.require().getNetwork(id).inspect());
    }),
  );

  r.post(
    '/networks',
    write,
    handle(async (c) => {
      const body = parse(createBody, await jsonBody(c), 'body');
      const net = await engine.require().createNetwork({
        Name: body.name,
        Driver: body.driver,
        Internal: body.internal,
        CheckDuplicate: true,
        Labels: { ...(body.labels ?? {}), [LABEL_MANAGED]: '1' },
        ...(body.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: body.subnet }] } } : {}),
      });
      return c.json({ id: net.id, name: body.name }, 201);
    }),
  );

  r.delete(
    '/networks/:id',
    write,
    handle(async (c) => {
      const { id } = parse(nameParams, c.req.param(), 'params');
      await engine.require().getNetwork(id).remove();
      return c.json({ ok: true });
    }),
  );
}

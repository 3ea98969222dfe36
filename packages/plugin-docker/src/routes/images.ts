import { z } from 'zod';
import { handle, jsonBody, parse } from '../errors.js';
import type { RouteDeps } from './deps.js';

// Image references: [registry[:port]/]name[:tag][@digest], or an image id.
const IMAGE_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.:/@+-]{0,511}$/;
const imageRef = z.string().regex(IMAGE_REF, 'not an image reference');
const pullBody = z.object({ image: imageRef }).strict();
const tagBody = z
  .object({
    image: imageRef,
    repo: z.string().regex(/^[a-z0-9][a-z0-9_./:-]{0,254}$/, 'lower-case repository name'),
    tag: z
      .string()
      .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/, 'not a tag')
      .default('latest'),
  })
  .strict();
const removeQuery = z.object({ image: imageRef, force: z.enum(['0', '1', 'true', 'false']).optional() });
const inspectQuery = z.object({ image: imageRef });
const pruneBody = z
  .object({
    /** Also remove unused tagged images, not only dangling ones. */
    all: z.boolean().default(false),
    /** Only images with this label (`key` or `key=value`). */
    label: z.string().min(1).max(512).optional(),
  })
  .strict();

export function imageRoutes({ ctx, engine, pulls }: RouteDeps): void {
  const r = ctx.router;
  const read = ctx.requireScope('read');
  const write = ctx.requireScope('images.write');

  r.get(
    '/images',
    read,
    handle(async (c) => {
      const list = await engine.require().listImages({ all: false });
      return c.json({
        items: list.map((i) => ({
          id: i.Id,
          tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
          size: i.Size,
          created: i.Created * 1000,
          containers: i.Containers,
          labels: i.Labels ?? {},
        })),
      });
    }),
  );

  r.get(
    '/images/inspect',
    read,
    handle(async (c) => {
      const q = parse(inspectQuery, c.req.query(), 'query');
      return c.json(await engine.require().getImage(q.image).inspect());
    }),
  );

  r.post(
    '/images/pull',
    write,
    handle(async (c) => {
      const body = parse(pullBody, await jsonBody(c), 'body');
      return c.json(await pulls.start(body.image, c.get('user').username), 202);
    }),
  );

  r.post(
    '/images/tag',
    write,
    handle(async (c) => {
      const body = parse(tagBody, await jsonBody(c), 'body');
      await engine.require().getImage(body.image).tag({ repo: body.repo, tag: body.tag });
      return c.json({ ok: true, image: `${body.repo}:${body.tag}` }, 201);
    }),
  );

  r.delete(
    '/images',
    write,
    handle(async (c) => {
      const q = parse(removeQuery, c.req.query(), 'query');
      const removed = await engine
        .require()
        .getImage(q.image)
        .remove({ force: q.force === '1' || q.force === 'true' });
      return c.json({ ok: true, removed });
    }),
  );

  r.post(
    '/images/prune',
    write,
    handle(async (c) => {
      const body = parse(pruneBody, await jsonBody(c), 'body');
      const filters: Record<string, string[]> = { dangling: [body.all ? 'false' : 'true'] };
      if (body.label) filters.label = [body.label];
      const res = await engine.require().pruneImages({ filters });
      return c.json({ deleted: res.ImagesDeleted ?? [], spaceReclaimed: res.SpaceReclaimed ?? 0 });
    }),
  );
}

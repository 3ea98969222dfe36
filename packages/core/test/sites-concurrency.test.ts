import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchVia,
  requireCaddy,
  type SitesHarness,
  skipCaddy,
  startBackend,
  startSitesHarness,
} from './sites-helpers.js';

// Concurrent changes are serialised: whatever order they land in, the config
// Caddy runs at the end is the one the database generates.

describe.skipIf(skipCaddy)('concurrent site edits', () => {
  let h: SitesHarness;
  let backends: Awaited<ReturnType<typeof startBackend>>[] = [];

  beforeAll(async () => {
    requireCaddy();
    backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    h = await startSitesHarness();
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('50 concurrent edits through the API end with Caddy running exactly what the database generates', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call('POST', '/api/sites', {
        domains: [`c${i}.test`],
        kind: 'reverse_proxy',
        upstreams: [`127.0.0.1:${backends[0]!.port}`],
        tls: 'off',
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // Each edit sets an upstream and a header; some also add or drop a second domain.
    const edits = Array.from({ length: 50 }, (_, n) => {
      const id = ids[n % ids.length]!;
      const backend = backends[n % backends.length]!;
      const body: Record<string, unknown> = {
        upstreams: [`127.0.0.1:${backend.port}`],
        headers: { 'X-Edit': String(n) },
      };
      if (n % 7 === 0) body.domains = [`c${ids.indexOf(id)}.test`, `extra${n}.test`];
      return h.call('PUT', `/api/sites/${id}`, body);
    });
    const results = await Promise.all(edits);
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));

    const live = await h.admin().getConfig();
    expect(live).toEqual(await h.sites.service.generate());
    const sites = (await h.call('GET', '/api/sites')).body.sites as any[];
    expect(sites.every((s) => s.status === 'applied')).toBe(true);
    // Revisions count every edit: 1 at creation + 10 edits per site.
    expect(sites.map((s) => s.revision)).toEqual(Array(5).fill(11));
    for (const site of sites) {
      const got = await fetchVia(h.httpPort, site.domains[0]);
      expect(got.headers['x-edit']).toBe(site.headers['X-Edit']);
      const port = Number(site.upstreams[0].split(':')[1]);
      expect(JSON.parse(got.body).backend).toBe(['a', 'b', 'c'][backends.findIndex((b) => b.port === port)]);
    }
  });

  it('concurrent creates of the same domain: exactly one wins, the others get 409', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.call('POST', '/api/sites', {
          domains: ['race.test'],
          kind: 'redirect',
          redirectTo: 'https://example.com',
          tls: 'off',
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await h.admin().getConfig()).toEqual(await h.sites.service.generate());
  });
});

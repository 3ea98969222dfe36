/**
 * Sites: time to generate Caddy's config from the database and apply it to a
 * real caddy (Debian's 2.6, managed by the panel on loopback ports), with 1,
 * 100 and 1000 sites. Three timings per size, medians of the rounds:
 *
 * 1. generate — `generateCaddyConfig` over the records (pure CPU);
 * 2. load — Caddy alone: `POST /load` of that config (forced, so Caddy really reprovisions);
 * 3. apply — `caddy.reload()`: read every site from SQLite, generate, `POST /load` (forced);
 * 4. edit — one `hosts.update` end to end: validate, generate, `POST /load`, commit.
 *
 * apply − load is what the panel adds on top of Caddy.
 *
 * Sites alternate reverse proxies and static folders, TLS off (certificate
 * issuance for 1000 names would measure the local CA, not the panel).
 *
 *   npx tsx bench/sites.bench.ts           # ~30 s
 *   npx tsx bench/sites.bench.ts --quick   # smoke test
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEventBus } from '@webcasa/event-bus';
import { openDatabase } from '../src/db/database.js';
import { createSecretBox, loadOrCreateKey } from '../src/settings/secrets.js';
import { createSettingsStore } from '../src/settings/settings-store.js';
import { findCaddyBinary } from '../src/sites/caddy-binary.js';
import { CaddyAdminClient, parseAdminAddress } from '../src/sites/caddy-client.js';
import { generateCaddyConfig } from '../src/sites/caddy-config.js';
import { createSites, silentLogger } from '../src/sites/index.js';
import { median } from './util.js';

export interface SitesBenchOptions {
  sizes: number[];
  rounds: number;
}

export interface SitesBenchRow {
  sites: number;
  configBytes: number;
  generateMs: number;
  loadMs: number;
  applyMs: number;
  editMs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Runs every size against one fresh panel data dir and caddy each. Undefined when caddy is missing. */
export async function runSitesBench(options: SitesBenchOptions): Promise<SitesBenchRow[] | undefined> {
  if (!findCaddyBinary()) return undefined;
  const rows: SitesBenchRow[] = [];
  for (const size of options.sizes) {
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-sites-bench-'));
    const db = await openDatabase(dataDir);
    const secrets = createSecretBox(loadOrCreateKey(dataDir));
    const sites = createSites({
      db: db.core,
      secrets,
      bus: createEventBus(),
      logger: silentLogger,
      dataDir,
      settings: createSettingsStore(db.core, secrets),
      env: {
        WEBCASA_CADDY: 'managed',
        WEBCASA_CADDY_HTTP_PORT: String(await freePort()),
        WEBCASA_CADDY_HTTPS_PORT: String(await freePort()),
        WEBCASA_CADDY_BIND: '127.0.0.1',
      },
      pollMs: 60_000,
    });
    try {
      await sites.start();
      // Stored directly (one transaction each), then applied once: setup, not measured.
      const repo = sites.service.repo;
      for (let i = 1; i <= size; i++) {
        const proxy = i % 2 === 1;
        await repo.insert(i, {
          name: null,
          domains: [`site${i}.bench.test`, `www.site${i}.bench.test`],
          kind: proxy ? 'reverse_proxy' : 'static',
          enabled: true,
          tls: 'off',
          certificate: null,
          options: {
            ...(proxy
              ? {
                  upstreams: [`127.0.0.1:${10_000 + i}`],
                  loadBalancing: 'round_robin' as const,
                  healthCheck: null,
                  websocket: true,
                  upstreamHeaders: {},
                }
              : { root: `/srv/site${i}`, browse: false, spa: i % 4 === 0 }),
            headers: { 'X-Site': String(i) },
            basicAuth: [],
            allow: [],
            deny: [],
            compression: true,
            accessLog: false,
          },
        });
      }
      const first = await sites.service.reload();
      if (!first.ok) throw new Error(`caddy refused the bench config: ${first.error}`);
      const records = await repo.list();
      const configOptions = sites.service.configOptions();
      const config = generateCaddyConfig(records, configOptions);
      const configBytes = Buffer.byteLength(JSON.stringify(config));
      const admin = new CaddyAdminClient(parseAdminAddress((await sites.service.status()).admin!));
      const generate: number[] = [];
      const load: number[] = [];
      const apply: number[] = [];
      const edit: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        let t = performance.now();
        generateCaddyConfig(records, configOptions);
        generate.push(performance.now() - t);
        t = performance.now();
        await admin.load(config, { force: true });
        load.push(performance.now() - t);
        t = performance.now();
        const result = await sites.service.reload();
        apply.push(performance.now() - t);
        if (!result.ok) throw new Error(`reload failed: ${result.error}`);
        t = performance.now();
        await sites.api.hosts.update(1 + (round % size), { headers: { 'X-Round': String(round) } });
        edit.push(performance.now() - t);
      }
      rows.push({
        sites: size,
        configBytes,
        generateMs: round2(median(generate)),
        loadMs: round2(median(load)),
        applyMs: round2(median(apply)),
        editMs: round2(median(edit)),
      });
    } finally {
      await sites.stop();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const rows = await runSitesBench({ sizes: [1, 100, 1000], rounds: quick ? 2 : 7 });
  if (!rows) {
    console.log('caddy not found: install it (apt-get install -y caddy) to run the sites benchmark');
  } else {
    for (const row of rows) console.log(JSON.stringify({ bench: 'core-sites', ...row }));
  }
}

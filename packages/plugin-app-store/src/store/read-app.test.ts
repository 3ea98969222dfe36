// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables like ${APP_PORT} are literal text here
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FIXTURE_APPS, FIXTURE_STORE, tempStore, writeJson } from '../../test/fixtures.js';
import { composeYaml, renderDoc } from '../compose/render.js';
import { buildCompose, readStore } from './read-app.js';

const fixtureIds = readdirSync(FIXTURE_APPS).filter((n) => statSync(join(FIXTURE_APPS, n)).isDirectory());

describe('the Runtipi fixture store', async () => {
  const store = await readStore(FIXTURE_STORE);
  const byId = new Map(store.apps.map((a) => [a.id, a]));

  it('parses every app, with no problems', () => {
    expect(store.problems).toEqual([]);
    expect(store.apps.map((a) => a.id).sort()).toEqual([...fixtureIds].sort());
    expect(fixtureIds.length).toBeGreaterThanOrEqual(7);
  });

  it('reads both compose forms: docker-compose.json first, else the x-runtipi v2 yml', () => {
    expect(byId.get('adguard')?.compose.kind).toBe('yaml');
    for (const id of fixtureIds.filter((i) => i !== 'adguard'))
      expect(byId.get(id)?.compose.kind).toBe('dynamic');
  });

  it("nextcloud's [{key,value}] environment becomes a map, with dependsOn and volumes", () => {
    const doc = buildCompose(byId.get('nextcloud')!, { publish: 'all' });
    const nc = doc.services.nextcloud!;
    expect(nc.environment).toMatchObject({
      POSTGRES_HOST: 'db-nextcloud',
      NEXTCLOUD_ADMIN_USER: '${NEXTCLOUD_ADMIN_USER}',
    });
    expect(nc.ports).toEqual(['${APP_PORT}:80']);
    expect(nc.depends_on).toEqual(['db-nextcloud', 'redis-nextcloud']);
    expect(nc.volumes).toEqual(['${APP_DATA_DIR}/data/nextcloud:/var/www/html']);
    expect(doc.services.cron?.entrypoint).toBe('/cron.sh');
    expect(doc.services['redis-nextcloud']?.user).toBe('1000:1000');
    expect(Object.keys(doc.services)).toEqual(['nextcloud', 'db-nextcloud', 'redis-nextcloud', 'cron']);
  });

  it("adguard: the extra 'requirements' key is accepted and the x-runtipi block gives the main port", () => {
    const app = byId.get('adguard')!;
    expect(app.main).toEqual({ service: 'adguard', internalPort: 80 });
    expect(app.config.form_fields[0]).toMatchObject({
      type: 'ip',
      env_variable: 'NETWORK_INTERFACE',
      required: false,
    });
    const doc = buildCompose(app, { publish: 'loopback' });
    expect(doc['x-runtipi']).toBeUndefined();
    expect(doc.services.adguard?.['x-runtipi']).toBeUndefined();
    expect(doc.services.adguard?.ports).toEqual([
      '127.0.0.1:${APP_PORT}:80',
      '${NETWORK_INTERFACE:-0.0.0.0}:53:53/tcp',
      '${NETWORK_INTERFACE:-0.0.0.0}:53:53/udp',
      '${NETWORK_INTERFACE:-0.0.0.0}:853:853/tcp',
      '${NETWORK_INTERFACE:-0.0.0.0}:853:853/udp',
    ]);
  });

  it('gitea: addPorts and internalPort; whoami: a string internalPort', () => {
    expect(buildCompose(byId.get('gitea')!, { publish: 'all' }).services.gitea?.ports).toEqual([
      '${APP_PORT}:3000',
      '222:22',
    ]);
    expect(buildCompose(byId.get('whoami')!, { publish: 'loopback' }).services.whoami?.ports).toEqual([
      '127.0.0.1:${APP_PORT}:80',
    ]);
  });

  it('renders every app to a compose file without variables left, values escaped for compose', () => {
    for (const app of store.apps) {
      const missing = new Set<string>();
      const vars = {
        APP_PORT: '8000',
        APP_DATA_DIR: '/srv/x',
        APP_DOMAIN: 'a.example.com',
        APP_PROTOCOL: 'https',
        NEXTCLOUD_ADMIN_PASSWORD: 'pa$$word',
        NEXTCLOUD_ADMIN_USER: 'admin',
        VAULTWARDEN_ADMIN_PASSWORD: 'x',
        NETWORK_INTERFACE: '',
      };
      const text = composeYaml(renderDoc(buildCompose(app, { publish: 'all' }), vars, missing));
      expect(missing, app.id).toEqual(new Set());
      expect(text).not.toMatch(/\$\{/);
      const parsed = parseYaml(text) as { services: Record<string, { image: string }> };
      expect(Object.values(parsed.services).every((s) => typeof s.image === 'string')).toBe(true);
      if (app.id === 'nextcloud') expect(text).toContain('pa$$$$word');
      if (app.id === 'nextcloud') expect(text).toContain('OVERWRITEPROTOCOL: https');
      if (app.id === 'adguard') expect(text).toContain('0.0.0.0:53:53/udp');
    }
  });

  it('reads the description markdown and finds the logo', () => {
    const gitea = byId.get('gitea')!;
    expect(gitea.description).toContain('# A painless self-hosted Git service');
    expect(gitea.logo).toBe(join(FIXTURE_APPS, 'gitea', 'metadata', 'logo.jpg'));
    expect(gitea.config).toMatchObject({
      version: '1.27.2',
      tipi_version: 73,
      source: 'https://github.com/go-gitea/gitea',
      supported_architectures: ['arm64', 'amd64'],
    });
  });
});

describe('a store with malformed apps', () => {
  const root = tempStore(['whoami', 'gitea', 'nextcloud', 'vaultwarden', 'it-tools', 'uptime-kuma']);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const config = (app: string) => JSON.parse(readFileSync(join(root, 'apps', app, 'config.json'), 'utf8'));

  it('lists the good apps and reports the bad ones by id and field', async () => {
    writeJson(join(root, 'apps', 'gitea', 'config.json'), '{ "id": "gitea", "name": ');
    const noId = config('nextcloud');
    delete noId.id;
    writeJson(join(root, 'apps', 'nextcloud', 'config.json'), noId);
    writeJson(join(root, 'apps', 'vaultwarden', 'config.json'), { ...config('vaultwarden'), port: '8107' });
    const it = config('it-tools');
    it.form_fields = [{ type: 'colour', label: 'Colour', env_variable: 'COLOUR' }];
    writeJson(join(root, 'apps', 'it-tools', 'config.json'), it);
    writeJson(join(root, 'apps', 'uptime-kuma', 'docker-compose.json'), {
      services: [{ name: 'uptime-kuma', isMain: true }],
    });

    const store = await readStore(root);
    expect(store.apps.map((a) => a.id)).toEqual(['whoami']);
    const byApp = (id: string) =>
      store.problems.filter((p) => p.app === id).map((p) => `${p.file}:${p.field}`);
    expect(byApp('gitea')).toEqual(['config.json:(file)']);
    expect(store.problems.find((p) => p.app === 'gitea')?.message).toMatch(/invalid JSON/);
    expect(byApp('nextcloud')).toEqual(['config.json:id']);
    expect(byApp('vaultwarden')).toEqual(['config.json:port']);
    expect(store.problems.find((p) => p.app === 'vaultwarden')?.message).toBe('must be a number');
    expect(byApp('it-tools')).toEqual(['config.json:form_fields.0.type']);
    expect(byApp('uptime-kuma')).toEqual(['docker-compose.json:services.0.image']);
  });
});

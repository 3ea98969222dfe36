import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_API_VERSION, type RequestUser } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEnv } from '../src/http/env.js';
import { errorResponse } from '../src/http/error-handler.js';
import { RouteRegistry } from '../src/http/route.js';
import {
  createManagerHost,
  PluginInstaller,
  pluginTables,
  registerInstallerRoutes,
  verifyIntegrity,
} from '../src/plugins/installer/index.js';
import { type Harness, startHarness } from './helpers.js';
import {
  builtSdkPeer,
  publish,
  type Registry,
  removeScratch,
  startRegistry,
  writeFixturePlugin,
  writeLibrary,
} from './installer-registry.js';

let registry: Registry;
let h: Harness;
let installer: PluginInstaller;
let api: Hono<CoreEnv>;

async function request(method: string, path: string, body?: unknown) {
  const res = await api.request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function runOutcome(runId: string) {
  const info = await h.panel.runs.wait(runId);
  const log = await h.panel.runs.exportLog(runId, 'text');
  return { info, log };
}

beforeAll(async () => {
  registry = await startRegistry();
  await publish(registry, writeLibrary('webcasa-test-answer', '1.0.0'));
  await publish(
    registry,
    writeFixturePlugin({
      version: '1.0.0',
      permissions: ['network'],
      npmDependencies: { 'webcasa-test-answer': '^1.0.0' },
    }),
  );
  await publish(registry, writeFixturePlugin({ version: '1.1.0', permissions: ['network'] }));
  await publish(
    registry,
    writeFixturePlugin({ version: '1.2.0', permissions: ['network'], setupThrows: true }),
  );
  await publish(registry, writeFixturePlugin({ id: 'future', version: '1.0.0', engine: '^9.0.0' }));
  await publish(
    registry,
    writeFixturePlugin({ id: 'addon', version: '1.0.0', dependencies: { uptime: '^1.0.0' } }),
  );
  await publish(
    registry,
    writeFixturePlugin({ id: 'addon2', version: '1.0.0', dependencies: { uptime: '~1.1.0' } }),
  );
  h = await startHarness();
  wire();
}, 120_000);

/** The installer and its routes over the current panel (the wiring server.ts gets, see the report). */
function wire() {
  installer = new PluginInstaller({
    dataDir: h.dataDir,
    host: createManagerHost(h.panel.manager, PLUGIN_API_VERSION),
    settings: h.panel.settings,
    sqlite: h.panel.db.shared.db,
    env: { WEBCASA_NPM_REGISTRY: registry.url },
    hostPeers: builtSdkPeer(),
  });
  api = new Hono<CoreEnv>();
  api.use(async (c, next) => {
    c.set('user', { id: 1, username: 'admin', role: 'admin' } as RequestUser);
    await next();
  });
  api.onError((error, c) => errorResponse(error, c));
  registerInstallerRoutes(api, new RouteRegistry(), {
    installer,
    runs: h.panel.runs,
    settings: h.panel.settings,
  });
}

afterAll(async () => {
  await h?.stop();
  await registry?.stop();
  removeScratch();
});

describe('installing plugins from an npm registry at run time', () => {
  it('searches the registry for webcasa plugins', async () => {
    const res = await request('GET', '/api/admin/plugins/search?q=');
    expect(res.status).toBe(200);
    const names = res.body.results.map((r: { name: string }) => r.name);
    expect(names).toContain('webcasa-plugin-uptime');
    expect(names).not.toContain('webcasa-test-answer');
  });

  it('previews a plugin without running any of it: permissions, hashes, problems', async () => {
    const res = await request('POST', '/api/admin/plugins/install/preview', {
      spec: 'webcasa-plugin-uptime@1.0.0',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'uptime',
      version: '1.0.0',
      permissions: ['network'],
      problems: [],
    });
    expect(res.body.integrity).toMatch(/^sha512-/);
    expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(pluginTables(h.panel.db.shared.db, 'uptime')).toEqual([]);
    expect(readdirSync(join(h.dataDir, 'plugins', '.staging'))).toEqual([]);
  });

  it('refuses a plugin for another plugin API version and one whose dependency is missing', async () => {
    const future = await request('POST', '/api/admin/plugins/install/preview', {
      spec: 'webcasa-plugin-future',
    });
    expect(future.body.problems[0]).toMatch(/needs plugin API \^9\.0\.0/);
    const addon = await request('POST', '/api/admin/plugins/install', { spec: 'webcasa-plugin-addon' });
    const { info } = await runOutcome(addon.body.runId);
    expect(info.status).toBe('failed');
    expect(info.error).toMatch(/needs uptime/);
  });

  it('refuses to install until the admin accepts the permissions', async () => {
    const res = await request('POST', '/api/admin/plugins/install', { spec: 'webcasa-plugin-uptime@1.0.0' });
    expect(res.status).toBe(202);
    const { info } = await runOutcome(res.body.runId);
    expect(info.status).toBe('failed');
    expect(info.error).toMatch(/asks for network/);
    expect(h.panel.manager.info('uptime')).toBeUndefined();
  });

  it('installs 1.0.0 with its npm dependency, scripts disabled, and serves its route live', async () => {
    const res = await request('POST', '/api/admin/plugins/install', {
      spec: 'webcasa-plugin-uptime@1.0.0',
      acceptPermissions: ['network'],
    });
    const { info, log } = await runOutcome(res.body.runId);
    expect(info.status, log).toBe('succeeded');
    expect(log).toMatch(/integrity verified/);
    const version = await h.call('GET', '/api/plugins/uptime/version');
    expect(version.body).toEqual({ version: '1.0.0', answer: 42 });
    const live = join(h.dataDir, 'plugins', 'node_modules', 'webcasa-plugin-uptime');
    expect(existsSync(join(live, 'SCRIPT-RAN'))).toBe(false);
    expect(existsSync(join(live, 'node_modules', 'webcasa-test-answer', 'index.js'))).toBe(true);
    // The recorded SHA-256 is the tarball's the registry serves.
    const packument = (await (await fetch(`${registry.url}webcasa-plugin-uptime`)).json()) as any;
    const tarball = Buffer.from(await (await fetch(packument.versions['1.0.0'].dist.tarball)).arrayBuffer());
    const record = await installer.installedRecord('uptime');
    expect(record?.sha256).toBe(createHash('sha256').update(tarball).digest('hex'));
    expect(record?.integrity).toBe(packument.versions['1.0.0'].dist.integrity);
    expect((await h.call('POST', '/api/plugins/uptime/checks')).status).toBe(200);
    expect(pluginTables(h.panel.db.shared.db, 'uptime')).toContain('plugin_uptime_checks');
  });

  it('updates to 1.1.0 live and loads the new code', async () => {
    const res = await request('POST', '/api/admin/plugins/uptime/update', { version: '1.1.0' });
    const { info, log } = await runOutcome(res.body.runId);
    expect(info.status, log).toBe('succeeded');
    expect((await h.call('GET', '/api/plugins/uptime/version')).body.version).toBe('1.1.0');
    expect((await installer.installedRecord('uptime'))?.version).toBe('1.1.0');
  });

  it('rolls an update whose setup throws back to 1.1.0, which keeps running', async () => {
    const res = await request('POST', '/api/admin/plugins/uptime/update', {});
    const { info, log } = await runOutcome(res.body.runId);
    expect(info.status).toBe('failed');
    expect(log).toMatch(/setup of 1\.2\.0 refuses/);
    expect(log).toMatch(/1\.1\.0 restored and running/);
    expect(h.panel.manager.info('uptime')?.status).toBe('running');
    expect((await h.call('GET', '/api/plugins/uptime/version')).body.version).toBe('1.1.0');
    const pkg = JSON.parse(
      readFileSync(
        join(h.dataDir, 'plugins', 'node_modules', 'webcasa-plugin-uptime', 'package.json'),
        'utf8',
      ),
    );
    expect(pkg.version).toBe('1.1.0');
    expect((await installer.installedRecord('uptime'))?.version).toBe('1.1.0');
  });

  it('refuses to uninstall a plugin others depend on, naming them', async () => {
    const addon = await request('POST', '/api/admin/plugins/install', { spec: 'webcasa-plugin-addon' });
    const installed = await runOutcome(addon.body.runId);
    expect(installed.info.status, installed.log).toBe('succeeded');
    const refused = await request('DELETE', '/api/admin/plugins/uptime');
    const { info } = await runOutcome(refused.body.runId);
    expect(info.status).toBe('failed');
    expect(info.error).toMatch(/needed by addon/);
    expect(h.panel.manager.info('uptime')?.status).toBe('running');
    const removed = await request('DELETE', '/api/admin/plugins/addon');
    expect((await runOutcome(removed.body.runId)).info.status).toBe('succeeded');
  });

  it('uninstalls: uninstall hook, tables backed up then dropped, data dir, package and routes gone', async () => {
    const before = (globalThis as { __uninstalled?: number }).__uninstalled ?? 0;
    const res = await request('DELETE', '/api/admin/plugins/uptime?keepData=false');
    const { info, log } = await runOutcome(res.body.runId);
    expect(info.status, log).toBe('succeeded');
    expect((globalThis as { __uninstalled?: number }).__uninstalled).toBe(before + 1);
    expect(pluginTables(h.panel.db.shared.db, 'uptime')).toEqual([]);
    expect(existsSync(join(h.dataDir, 'plugins', 'uptime'))).toBe(false);
    expect(existsSync(join(h.dataDir, 'plugins', 'node_modules', 'webcasa-plugin-uptime'))).toBe(false);
    expect((await h.call('GET', '/api/plugins/uptime/version')).status).toBe(404);
    expect(h.panel.manager.info('uptime')).toBeUndefined();
    const backups = readdirSync(join(h.dataDir, 'backups', 'plugins'));
    expect(backups.some((f) => f.startsWith('uptime-'))).toBe(true);
    const dump = JSON.parse(
      readFileSync(
        join(h.dataDir, 'backups', 'plugins', backups.find((f) => f.startsWith('uptime-'))!),
        'utf8',
      ),
    );
    expect(dump.tables.find((t: { name: string }) => t.name === 'plugin_uptime_checks').rows).toHaveLength(1);
    expect(await installer.installedRecord('uptime')).toBeUndefined();
  });

  it('installs an uploaded .tgz and keeps it after a restart', async () => {
    const tgz = Buffer.from(
      await (
        await fetch(
          ((await (await fetch(`${registry.url}webcasa-plugin-uptime`)).json()) as any).versions['1.1.0'].dist
            .tarball,
        )
      ).arrayBuffer(),
    );
    const form = new FormData();
    form.set('tarball', new File([tgz], 'uptime.tgz'));
    form.set('acceptPermissions', 'network');
    const res = await api.request('/api/admin/plugins/install', { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const { info, log } = await runOutcome(((await res.json()) as { runId: string }).runId);
    expect(info.status, log).toBe('succeeded');
    expect((await installer.installedRecord('uptime'))?.from).toBe('tarball');
    // A new panel on the same data dir discovers it from <dataDir>/plugins/node_modules.
    await h.panel.stop();
    h = await startHarness([], { dataDir: h.dataDir });
    wire();
    expect(h.panel.manager.info('uptime')?.status).toBe('running');
    expect((await h.call('GET', '/api/plugins/uptime/version')).body.version).toBe('1.1.0');
  });
});

describe('plugin dependencies from the registry', () => {
  it('installs a missing plugin dependency too when the admin agrees', async () => {
    const removed = await request('DELETE', '/api/admin/plugins/uptime');
    expect((await runOutcome(removed.body.runId)).info.status).toBe('succeeded');
    const res = await request('POST', '/api/admin/plugins/install', {
      spec: 'webcasa-plugin-addon2',
      acceptPermissions: ['network'],
      installDependencies: true,
    });
    const { info, log } = await runOutcome(res.body.runId);
    expect(info.status, log).toBe('succeeded');
    expect(log).toMatch(/installing dependency uptime@~1\.1\.0/);
    expect(h.panel.manager.info('uptime')).toMatchObject({ status: 'running', version: '1.1.0' });
    expect(h.panel.manager.info('addon2')?.status).toBe('running');
  });
});

describe('registry settings and integrity', () => {
  it('stores the token encrypted and reports only that there is one', async () => {
    const res = await request('PUT', '/api/admin/plugins/registry', {
      url: registry.url,
      token: 's3cret-token',
    });
    expect(res.body).toEqual({ url: registry.url, hasToken: true });
    const row = h.panel.db.shared.db
      .prepare("SELECT value, secret FROM settings WHERE key = 'core.npm.token'")
      .get() as {
      value: string;
      secret: number;
    };
    expect(row.secret).toBe(1);
    expect(row.value).not.toContain('s3cret-token');
    await request('PUT', '/api/admin/plugins/registry', { url: null, token: null });
  });

  it('rejects bytes that do not match the integrity hash', () => {
    const data = Buffer.from('tarball');
    const good = `sha512-${createHash('sha512').update(data).digest('base64')}`;
    expect(verifyIntegrity(data, good)).toBe(good);
    expect(() => verifyIntegrity(Buffer.from('tampered'), good)).toThrow(/does not match/);
  });

  it('answers 400 naming the field for a bad spec', async () => {
    const res = await request('POST', '/api/admin/plugins/install', { spec: 42 });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('body.spec');
    const bad = await request('POST', '/api/admin/plugins/install', { spec: 'Not A Package' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.spec');
    const missing = await request('POST', '/api/admin/plugins/install/preview', {
      spec: 'webcasa-plugin-nope',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('WEBCASA_INSTALL_NOT_FOUND');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus } from '@webcasa/event-bus';
import { type CoreApi, type Manifest, parseManifest } from '@webcasa/plugin-sdk';
import { ActionService } from '../src/actions/index.js';
import { openDatabase, type PanelDatabase } from '../src/db/database.js';
import { createLoggers, type Loggers } from '../src/logging/logger.js';
import type { ContextDeps } from '../src/plugins/context.js';
import { RunManager } from '../src/runs/index.js';
import { PluginConfigService } from '../src/settings/plugin-config.js';
import { createSecretBox, loadOrCreateKey } from '../src/settings/secrets.js';
import { createSettingsStore } from '../src/settings/settings-store.js';
import { WsHub } from '../src/ws/index.js';

export const ISOLATION_FIXTURES = join(import.meta.dirname, 'fixtures', 'isolation');

/** A fixture package's manifest and server entry. */
export function fixture(dir: string): { manifest: Manifest; serverEntry: string } {
  const root = join(ISOLATION_FIXTURES, dir);
  return {
    manifest: parseManifest(JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')), root),
    serverEntry: join(root, 'server.js'),
  };
}

export interface TestHost {
  deps: ContextDeps;
  /** Manifests the host knows (actions are looked up here). */
  manifests: Map<string, Manifest>;
  db: PanelDatabase;
  loggers: Loggers;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real host services a plugin context is built from (database with its guard, bus, config,
 * runs, WebSocket hub, logs), without an HTTP server: for driving an IsolatedPlugin directly.
 */
export async function createTestHost(): Promise<TestHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-iso-'));
  const loggers = createLoggers({ dataDir, level: 'info', stdout: false });
  const db = await openDatabase(dataDir);
  const bus = createEventBus({ onHandlerError: () => {} });
  const settings = createSettingsStore(db.core, createSecretBox(loadOrCreateKey(dataDir)));
  const config = new PluginConfigService(settings);
  const runs = new RunManager({ db: db.core, bus, logger: loggers.root });
  const hub = new WsHub({ authenticate: async () => undefined, logger: loggers.root });
  const manifests = new Map<string, Manifest>();
  const actions = new ActionService({
    dataDir,
    manifestOf: (id) => manifests.get(id),
    isRunning: (id) => manifests.has(id),
    runsFor: (id) => runs.forPlugin(id),
  });
  const deps: ContextDeps = {
    dataDir,
    db,
    bus,
    config,
    runs,
    ws: hub,
    actions,
    pluginLogger: (id) => loggers.pluginLogger(id),
    core: fakeCore(),
    notify: async () => {},
    serviceOf: () => undefined,
  };
  return {
    deps,
    manifests,
    db,
    loggers,
    dataDir,
    async close() {
      await hub.close();
      await runs.shutdown();
      await db.close();
      await loggers.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A CoreApi with an in-memory hosts list (no Caddy): enough to see permissions at work. */
export function fakeCore(): CoreApi {
  const sites: { id: number; domains: string[] }[] = [];
  return {
    info: async () => ({ version: 'test', pluginApiVersion: '1.0.0' }),
    setting: async () => null,
    audit: async () => {},
    hosts: {
      list: async () => sites,
      get: async (id: number) => sites.find((s) => s.id === id),
      create: async (input: { domains: string[] }) => {
        const site = { id: sites.length + 1, domains: input.domains };
        sites.push(site);
        return site;
      },
      update: async () => {
        throw new Error('not in the fake');
      },
      delete: async () => {},
    },
    caddy: { status: async () => ({ running: false }), reload: async () => ({ ok: true }) },
  } as unknown as CoreApi;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

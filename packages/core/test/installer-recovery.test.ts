import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type PanelDatabase } from '../src/db/database.js';
import { INSTALLED_KEY, pluginTables, recoverPluginOperations } from '../src/plugins/installer/index.js';
import { writeJournal } from '../src/plugins/installer/journal.js';
import { createSecretBox, loadOrCreateKey } from '../src/settings/secrets.js';
import { createSettingsStore, type SettingsStore } from '../src/settings/settings-store.js';

// Recovery from journals a killed panel left, phase by phase (the crash test covers the
// phases a real kill reaches most often; these cover every branch).

let dataDir: string;
let db: PanelDatabase;
let settings: SettingsStore;

async function setup() {
  dataDir = mkdtempSync(join(tmpdir(), 'webcasa-recovery-'));
  db = await openDatabase(dataDir);
  settings = createSettingsStore(db.core, createSecretBox(loadOrCreateKey(dataDir)));
}
afterEach(async () => {
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const staging = (op: string) => join(dataDir, 'plugins', '.staging', op);
const live = join('plugins', 'node_modules', 'webcasa-plugin-uptime');
function writePackage(dir: string, version: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'webcasa-plugin-uptime', version }));
}
const base = { packageName: 'webcasa-plugin-uptime', pluginId: 'uptime', startedAt: 0, updatedAt: 0 };
const recover = () => recoverPluginOperations({ dataDir, settings, sqlite: db.shared.db });

describe('recovering plugin operations at boot', () => {
  it('finishes an uninstall whose package was already moved away', async () => {
    await setup();
    db.shared.db.exec('CREATE TABLE plugin_uptime_checks (id INTEGER PRIMARY KEY)');
    mkdirSync(join(dataDir, 'plugins', 'uptime'), { recursive: true });
    await settings.set(`${INSTALLED_KEY}uptime`, { id: 'uptime', version: '1.0.0' });
    await settings.set('plugin.uptime.interval', 30);
    writeJournal(staging('op1'), { ...base, op: 'op1', kind: 'uninstall', phase: 'removing', runId: 'r1' });
    writePackage(join(staging('op1'), 'removed'), '1.0.0');
    const notes = await recover();
    expect(notes).toEqual([expect.stringMatching(/uninstall of uptime .* finished \(run r1\)/)]);
    expect(pluginTables(db.shared.db, 'uptime')).toEqual([]);
    expect(existsSync(join(dataDir, 'plugins', 'uptime'))).toBe(false);
    expect(await settings.get(`${INSTALLED_KEY}uptime`)).toBeUndefined();
    expect(await settings.get('plugin.uptime.interval')).toBeUndefined();
    expect(readdirSync(join(dataDir, 'plugins', '.staging'))).toEqual([]);
  });

  it('leaves an uninstall that had not moved the package yet as it was', async () => {
    await setup();
    db.shared.db.exec('CREATE TABLE plugin_uptime_checks (id INTEGER PRIMARY KEY)');
    writePackage(join(dataDir, live), '1.0.0');
    writeJournal(staging('op2'), { ...base, op: 'op2', kind: 'uninstall', phase: 'staging' });
    await recover();
    expect(existsSync(join(dataDir, live, 'package.json'))).toBe(true);
    expect(pluginTables(db.shared.db, 'uptime')).toEqual(['plugin_uptime_checks']);
  });

  it('restores the previous package and record of an interrupted update', async () => {
    await setup();
    writePackage(join(dataDir, live), '1.1.0');
    writePackage(join(staging('op3'), 'previous'), '1.0.0');
    const previousRecord = { id: 'uptime', version: '1.0.0' };
    await settings.set(`${INSTALLED_KEY}uptime`, { id: 'uptime', version: '1.1.0' });
    writeJournal(staging('op3'), {
      ...base,
      op: 'op3',
      kind: 'update',
      phase: 'activating',
      version: '1.1.0',
      previousVersion: '1.0.0',
      previousRecord,
    });
    await recover();
    const { version } = JSON.parse(
      (await import('node:fs')).readFileSync(join(dataDir, live, 'package.json'), 'utf8'),
    );
    expect(version).toBe('1.0.0');
    expect(await settings.get(`${INSTALLED_KEY}uptime`)).toEqual(previousRecord);
  });

  it('keeps a committed update and discards a journal-less folder', async () => {
    await setup();
    writePackage(join(dataDir, live), '1.1.0');
    writePackage(join(staging('op4'), 'previous'), '1.0.0');
    writeJournal(staging('op4'), {
      ...base,
      op: 'op4',
      kind: 'update',
      phase: 'committed',
      version: '1.1.0',
    });
    mkdirSync(staging('op5'), { recursive: true });
    const notes = await recover();
    expect(notes).toHaveLength(2);
    const { version } = JSON.parse(
      (await import('node:fs')).readFileSync(join(dataDir, live, 'package.json'), 'utf8'),
    );
    expect(version).toBe('1.1.0');
    expect(readdirSync(join(dataDir, 'plugins', '.staging'))).toEqual([]);
  });
});

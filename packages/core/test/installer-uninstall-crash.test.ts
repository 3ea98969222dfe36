// kill -9 of the panel at each step of an uninstall: after a restart the plugin is either
// fully there (package, record, tables, data file, running) or fully gone (no package,
// record or tables; its data folder removed unless keep-data), and the runs say what happened.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { pluginTables } from '../src/plugins/installer/index.js';
import { runChildPanel } from './installer-child.js';
import {
  publish,
  type Registry,
  removeScratch,
  startRegistry,
  writeFixturePlugin,
} from './installer-registry.js';

let registry: Registry;
const dirs: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  await publish(
    registry,
    writeFixturePlugin({ version: '1.0.0', permissions: ['network'], writesDataFile: true }),
  );
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  removeScratch();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const child = (dataDir: string, args: string[], options?: Parameters<typeof runChildPanel>[3]) =>
  runChildPanel(dataDir, registry.url, args, options);

const packageDir = (dataDir: string) => join(dataDir, 'plugins', 'node_modules', 'webcasa-plugin-uptime');
const dataFile = (dataDir: string) => join(dataDir, 'plugins', 'uptime', 'state.json');

async function stored(dataDir: string) {
  const db = await openDatabase(dataDir);
  try {
    const runs = await db.core.selectFrom('runs').selectAll().orderBy('created_at').execute();
    const logs = await db.core.selectFrom('run_logs').selectAll().execute();
    return { runs, logs, tables: pluginTables(db.shared.db, 'uptime') };
  } finally {
    await db.close();
  }
}

async function install(dataDir: string) {
  const done = await child(dataDir, ['install', 'webcasa-plugin-uptime@1.0.0']);
  expect(done.lines).toContain('done succeeded');
  expect(existsSync(dataFile(dataDir))).toBe(true);
}

/** Uninstall, SIGKILLed when the installer reaches `step`; then restart and read the state. */
async function killDuringUninstall(dataDir: string, step: string, keepData = false) {
  const before = (await stored(dataDir)).runs.length;
  const killed = await child(dataDir, ['uninstall', 'uptime', ...(keepData ? ['keep-data'] : [])], {
    env: { WEBCASA_TEST_PAUSE_AT: step },
    killWhen: (l) => l === `paused ${step}`,
  });
  expect(killed.killed, killed.lines.join('\n')).toBe(true);
  const after = await child(dataDir, ['status']);
  const { runs, logs, tables } = await stored(dataDir);
  const uninstallRun = runs.slice(before).find((r) => r.title.startsWith('uninstall'));
  const recovery = runs.slice(before).find((r) => r.title === 'Recovered plugin operations');
  const notes = logs
    .filter((l) => l.run_id === recovery?.id)
    .map((l) => l.line)
    .join('\n');
  return {
    running: after.lines.includes('plugin uptime running 1.0.0'),
    listed: after.lines.some((l) => l.startsWith('plugin uptime ')),
    recorded: after.lines.includes('record uptime 1.0.0'),
    packagePresent: existsSync(packageDir(dataDir)),
    dataPresent: existsSync(dataFile(dataDir)),
    tables,
    staging: readdirSync(join(dataDir, 'plugins', '.staging')),
    uninstallRun,
    notes,
  };
}

function expectFullyThere(s: Awaited<ReturnType<typeof killDuringUninstall>>) {
  expect(s).toMatchObject({
    running: true,
    recorded: true,
    packagePresent: true,
    dataPresent: true,
    tables: expect.arrayContaining(['plugin_uptime_checks']),
    staging: [],
  });
  expect(s.uninstallRun?.status).toBe('interrupted');
  expect(s.notes).toMatch(
    /uninstall of uptime was interrupted before its package was removed; uptime 1\.0\.0 kept/,
  );
  expect(s.notes).toContain(`(run ${s.uninstallRun!.id})`);
}

function expectFullyGone(s: Awaited<ReturnType<typeof killDuringUninstall>>, dataKept = false) {
  expect(s).toMatchObject({
    listed: false,
    recorded: false,
    packagePresent: false,
    dataPresent: dataKept,
    tables: [],
    staging: [],
  });
  expect(s.uninstallRun?.status).toBe('interrupted');
  expect(s.notes).toMatch(
    /uninstall of uptime was interrupted after it was committed \(package, tables( and data)? removed\); finished/,
  );
  expect(s.notes).toContain(`(run ${s.uninstallRun!.id})`);
}

describe('kill -9 during uninstall', () => {
  it('before the commit point (journalled, stopped, tables backed up) the plugin is fully there after restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-uncrash-'));
    dirs.push(dataDir);
    await install(dataDir);
    for (const step of ['uninstall:journalled', 'uninstall:stopped', 'uninstall:backed-up']) {
      const state = await killDuringUninstall(dataDir, step);
      expectFullyThere(state);
    }
  }, 120_000);

  it('after the commit point (committed, package moved, tables dropped, finished) it is fully gone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-uncrash-'));
    dirs.push(dataDir);
    for (const step of [
      'uninstall:committed',
      'uninstall:package-moved',
      'uninstall:tables-dropped',
      'uninstall:finished',
    ]) {
      await install(dataDir);
      expectFullyGone(await killDuringUninstall(dataDir, step));
    }
    // A backup of the tables was written before the commit point, each time.
    const backups = readdirSync(join(dataDir, 'backups', 'plugins'));
    expect(backups.filter((f) => f.startsWith('uptime-') && f.endsWith('.json'))).toHaveLength(4);
  }, 180_000);

  it('with keep-data, finishing after the crash keeps the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-uncrash-'));
    dirs.push(dataDir);
    await install(dataDir);
    expectFullyGone(await killDuringUninstall(dataDir, 'uninstall:package-moved', true), true);
  }, 90_000);
});

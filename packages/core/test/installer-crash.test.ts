import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  writeLibrary,
} from './installer-registry.js';

let registry: Registry;
const dirs: string[] = [];

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
  await publish(
    registry,
    writeFixturePlugin({ version: '1.1.0', permissions: ['network'], setupDelayMs: 30_000 }),
  );
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  removeScratch();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The child panel with one operation; `killWhen` sees every output line (SIGKILL on true). */
const child = (dataDir: string, args: string[], killWhen?: (line: string) => boolean) =>
  runChildPanel(dataDir, registry.url, args, { killWhen });

const newDataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'webcasa-crash-'));
  dirs.push(dir);
  return dir;
};
const live = (dataDir: string) => join(dataDir, 'plugins', 'node_modules', 'webcasa-plugin-uptime');

async function runsOf(dataDir: string) {
  const db = await openDatabase(dataDir);
  try {
    const runs = await db.core.selectFrom('runs').selectAll().execute();
    const logs = await db.core.selectFrom('run_logs').selectAll().execute();
    const tables = pluginTables(db.shared.db, 'uptime');
    return { runs, logs, tables };
  } finally {
    await db.close();
  }
}

describe('kill -9 during plugin operations', () => {
  it('an install killed while the plugin is being set up leaves nothing installed after restart', async () => {
    const dataDir = newDataDir();
    const first = await child(dataDir, ['install', 'webcasa-plugin-uptime@1.1.0'], (l) =>
      l.startsWith('log setting up'),
    );
    expect(first.killed).toBe(true);
    const runId = first.lines.find((l) => l.startsWith('run '))?.slice(4);
    expect(existsSync(live(dataDir))).toBe(true); // the crash left the new package in place…
    const after = await child(dataDir, ['status']);
    // …and the restart removed it before discovery: the old state (nothing).
    expect(after.lines.some((l) => l.startsWith('plugin uptime'))).toBe(false);
    expect(after.lines.some((l) => l.startsWith('record uptime'))).toBe(false);
    expect(existsSync(live(dataDir))).toBe(false);
    expect(readdirSync(join(dataDir, 'plugins', '.staging'))).toEqual([]);
    const { runs, logs } = await runsOf(dataDir);
    const install = runs.find((r) => r.title.startsWith('install'));
    expect(install?.status).toBe('interrupted');
    const notes = logs.map((l) => l.line).join('\n');
    expect(notes).toMatch(/install of webcasa-plugin-uptime@1\.1\.0 was interrupted; removed/);
    if (runId) expect(notes).toContain(`(run ${runId})`);
  }, 60_000);

  it('an update killed while the new version is being set up keeps the old version after restart', async () => {
    const dataDir = newDataDir();
    const installed = await child(dataDir, ['install', 'webcasa-plugin-uptime@1.0.0']);
    expect(installed.lines).toContain('done succeeded');
    const update = await child(dataDir, ['update', 'uptime', '1.1.0'], (l) => l.startsWith('log setting up'));
    expect(update.killed).toBe(true);
    const after = await child(dataDir, ['status']);
    expect(after.lines).toContain('plugin uptime running 1.0.0');
    expect(after.lines).toContain('record uptime 1.0.0');
    expect(JSON.parse(readFileSync(join(live(dataDir), 'package.json'), 'utf8')).version).toBe('1.0.0');
    expect(existsSync(join(live(dataDir), 'node_modules', 'webcasa-test-answer'))).toBe(true);
    const { logs } = await runsOf(dataDir);
    expect(logs.map((l) => l.line).join('\n')).toMatch(
      /update of webcasa-plugin-uptime@1\.1\.0 was interrupted; 1\.0\.0 restored/,
    );
  }, 90_000);

  it('an install killed at arbitrary moments is either complete or absent after restart', async () => {
    const dataDir = newDataDir();
    for (const delayMs of [100, 700, 1500]) {
      const killAt = { t: 0 };
      await child(dataDir, ['install', 'webcasa-plugin-uptime@1.0.0'], (l) => {
        if (l.startsWith('ready')) killAt.t = Date.now() + delayMs;
        return killAt.t > 0 && Date.now() >= killAt.t;
      }).catch(() => undefined);
      // The kill fires on the next output line at or after the delay (or not at all: it finished).
      const after = await child(dataDir, ['status']);
      const running = after.lines.includes('plugin uptime running 1.0.0');
      const recorded = after.lines.includes('record uptime 1.0.0');
      const present = existsSync(live(dataDir));
      expect({ delayMs, running, recorded, present }).toSatisfy(
        (s: { running: boolean; recorded: boolean; present: boolean }) =>
          (s.running && s.recorded && s.present) || (!s.running && !s.recorded && !s.present),
      );
      expect(readdirSync(join(dataDir, 'plugins', '.staging'))).toEqual([]);
      if (running) await child(dataDir, ['uninstall', 'uptime']);
      const { tables } = await runsOf(dataDir);
      expect(tables).toEqual([]);
    }
  }, 120_000);
});

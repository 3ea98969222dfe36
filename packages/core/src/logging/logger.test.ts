import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoggers, type Loggers } from './logger.js';

let dir: string;
let logs: Loggers;

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-log-'));
  logs = createLoggers({ dataDir: dir, stdout: false });
});

afterEach(async () => {
  await logs.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createLoggers', () => {
  it('writes core lines as JSON to logs/core.log', () => {
    logs.root.info({ port: 39921 }, 'listening');
    const [line] = lines(join(dir, 'logs', 'core.log'));
    expect(line).toMatchObject({ level: 'info', msg: 'listening', port: 39921 });
    expect(typeof line!.time).toBe('string');
    expect(line!.plugin).toBeUndefined();
  });

  it('writes plugin lines to logs/<id>.log and to core.log, tagged with the plugin', () => {
    const log = logs.pluginLogger('docker');
    log.warn('daemon not reachable', { socket: '/var/run/docker.sock' });
    log.child({ container: 'web' }).error('exited');

    expect(logs.logFile('docker')).toBe(join(dir, 'logs', 'docker.log'));
    const own = lines(logs.logFile('docker'));
    expect(own).toEqual([
      expect.objectContaining({
        level: 'warn',
        plugin: 'docker',
        msg: 'daemon not reachable',
        socket: '/var/run/docker.sock',
      }),
      expect.objectContaining({ level: 'error', plugin: 'docker', container: 'web', msg: 'exited' }),
    ]);
    const core = lines(join(dir, 'logs', 'core.log'));
    expect(core.map((l) => l.plugin)).toEqual(['docker', 'docker']);
    expect((statSync(logs.logFile('docker')).mode & 0o777).toString(8)).toBe('600');
  });

  it('keeps plugins apart and stops a plugin from passing itself off as another', () => {
    logs.pluginLogger('files').info('hello', { plugin: 'docker' });
    logs.pluginLogger('docker').info('other');
    const files = lines(logs.logFile('files'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ plugin: 'files', 'data.plugin': 'docker', msg: 'hello' });
    // The raw line must carry a single "plugin" key, not a duplicate that parsers resolve differently.
    expect(readFileSync(logs.logFile('files'), 'utf8').match(/"plugin":/g)).toHaveLength(1);
    expect(lines(logs.logFile('docker'))).toHaveLength(1);
  });

  it('honours the level and redacts secrets', async () => {
    await logs.close();
    logs = createLoggers({ dataDir: dir, stdout: false, level: 'warn' });
    logs.root.info('hidden');
    logs.root.warn({ password: 'hunter2', user: 'root' }, 'login');
    const core = lines(join(dir, 'logs', 'core.log'));
    expect(core).toHaveLength(1);
    expect(core[0]).toMatchObject({ msg: 'login', password: '[redacted]', user: 'root' });
  });

  it('rejects an unknown level and a path-like plugin id with clear messages', () => {
    expect(() => createLoggers({ dataDir: dir, stdout: false, level: 'loud' })).toThrow(/log level "loud"/);
    expect(() => logs.forPlugin('../etc')).toThrow(/plugin id "..\/etc"/);
    expect(() => logs.forPlugin('core')).toThrow(/core/);
  });

  it('is silent after close instead of throwing', async () => {
    const log = logs.pluginLogger('docker');
    await logs.close();
    expect(() => log.info('late')).not.toThrow();
    expect(() => logs.root.info('late')).not.toThrow();
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function runPanelUntilRunStarts(dataDir: string): Promise<{ quick: string; long: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/panel-with-run.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child panel did not start a run: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const m = /run (\S+) (\S+)/.exec(chunk);
      if (!m) return;
      // The crash: no shutdown hooks, no flush.
      child.kill('SIGKILL');
      child.once('exit', () => {
        clearTimeout(guard);
        resolve({ quick: m[1]!, long: m[2]! });
      });
    });
  });
}

describe('runs across a crash', () => {
  it('after kill -9 and restart, finished runs stay finished and the running one is shown as interrupted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-runs-crash-'));
    const ids = await runPanelUntilRunStarts(dataDir);
    h = await startHarness([], { dataDir });
    const quick = await h.call('GET', `/api/runs/${ids.quick}`);
    expect(quick.body).toMatchObject({ status: 'succeeded', title: 'quick build', plugin: 'builder' });
    const long = await h.call('GET', `/api/runs/${ids.long}`);
    expect(long.body.status).toBe('interrupted');
    expect(long.body.error).toMatch(/panel stopped/);
    expect(long.body.endedAt).toBeGreaterThan(0);
    const log = await h.call('GET', `/api/runs/${ids.long}/log?format=text`);
    expect(log.status).toBe(200);
    expect(log.body).toContain('step 1 of 100');
  });
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { createSecretBox, loadOrCreateKey } from '../src/settings/secrets.js';
import { createSettingsStore } from '../src/settings/settings-store.js';

const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Run the writer until it has committed `atLeast` more times, then kill -9 it after `delayMs`. */
function runAndKill(atLeast: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/settings-writer.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let last = 0;
    let seen = 0;
    let stderr = '';
    let killing = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer made no progress: ${stderr}`));
    }, 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        const m = /^committed (\d+)$/.exec(line);
        if (!m) continue;
        last = Number(m[1]);
        seen++;
        if (seen >= atLeast && !killing) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr}`));
      else resolve(last);
    });
  });
}

describe('kill -9 during settings writes', () => {
  it('leaves either the old or the new values, all keys of a write together, nothing committed lost', async () => {
    for (const [atLeast, delay] of [
      [5, 0],
      [20, 3],
      [10, 17],
    ] as const) {
      const lastReported = await runAndKill(atLeast, delay);
      const db = await openDatabase(dataDir);
      try {
        expect(db.shared.db.pragma('integrity_check', { simple: true })).toBe('ok');
        const store = createSettingsStore(db.core, createSecretBox(loadOrCreateKey(dataDir)));
        const a = (await store.get('core.a')) as { i: number; pad: string };
        const b = (await store.get('core.b')) as { i: number };
        const token = await store.get('core.token');
        // Atomic: the three keys come from the same write.
        expect(b.i).toBe(a.i);
        expect(token).toBe(`secret-${a.i}`);
        expect(a.pad).toBe('x'.repeat(20_000 + (a.i % 7) * 1000));
        // Durable: what the writer saw committed survived; at most the one in flight is extra.
        expect(a.i).toBeGreaterThanOrEqual(lastReported);
        expect(a.i).toBeLessThanOrEqual(lastReported + 1);
      } finally {
        await db.close();
      }
    }
  }, 90_000);
});

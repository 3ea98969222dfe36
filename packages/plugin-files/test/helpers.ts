import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import manifest from '../manifest.json' with { type: 'json' };
import plugin from '../src/server.js';

export interface Fixture {
  t: TestPanel;
  /** The configured root (realpath). */
  root: string;
  /** A folder next to the root that must never be reachable, with `secret.txt`. */
  outside: string;
  api: string;
  stop(): Promise<void>;
}

export async function startFiles(config: Record<string, unknown> = {}): Promise<Fixture> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'webcasa-files-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
  const t = await startTestPanel({ plugins: [{ manifest, plugin }] });
  const res = await t.client.put('/api/admin/plugins/files/config', { roots: [root], ...config });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    t,
    root,
    outside,
    api: '/api/plugins/files',
    async stop() {
      await t.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export const q = (s: string) => encodeURIComponent(s);

import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real Runtipi appstore fixture (read in place, never copied into the project). */
export const FIXTURE_STORE = fileURLToPath(
  new URL('../../../../shared/fixtures/runtipi-appstore/', import.meta.url),
);
export const FIXTURE_APPS = join(FIXTURE_STORE, 'apps');

/** A temporary copy of some fixture apps, to break on purpose. */
export function tempStore(apps: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'app-store-fixture-'));
  for (const app of apps) cpSync(join(FIXTURE_APPS, app), join(root, 'apps', app), { recursive: true });
  return root;
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

import { readFileSync } from 'node:fs';
import { parseManifest } from '@webcasa/plugin-sdk';
import { expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };

it('has a valid manifest whose version is the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const m = parseManifest(manifest, 'manifest.json');
  expect(m.version).toBe(pkg.version);
  expect(pkg.keywords).toContain('webcasa-plugin');
  expect(m.optionalDependencies).toEqual({ docker: '^0.1.0' });
  expect(m.events).toEqual(['monitor.alert.fired', 'monitor.alert.resolved']);
  expect(Object.keys(m.actions)).toEqual(['test-notification']);
  expect(m.web.menu[0]).toMatchObject({ icon: 'activity', group: 'system' });
  const properties = (m.config?.properties ?? {}) as Record<string, { secret?: boolean }>;
  expect(properties.smtpPassword?.secret).toBe(true);
});

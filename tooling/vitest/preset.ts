import { defineConfig } from 'vitest/config';

/**
 * The shared Vitest preset. Packages call `definePackageConfig()` in their
 * `vitest.config.ts`; tests sit beside the code (`src/**\/*.test.ts`) and
 * integration tests live in `test/`. Every run also writes a JSON report to
 * `test-results/vitest.json`, which `pnpm test` adds up across packages.
 *
 * Why forks and one worker on CI: the machines have two cores and the
 * integration tests start real servers, SQLite files and child processes.
 */
export function definePackageConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      pool: 'forks',
      maxWorkers: process.env.CI ? 1 : 2,
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 30_000,
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
      // Test panels never start the machine's caddy on ports 80/443; the sites
      // tests give their panels a managed caddy on high loopback ports explicitly.
      env: { WEBCASA_CADDY: process.env.WEBCASA_CADDY ?? 'off' },
    },
  });
}

import solid from 'vite-plugin-solid';
import { defineConfig, mergeConfig } from 'vitest/config';
import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// Two projects: components in happy-dom with Solid's browser build, and the
// API client against a real panel in Node (whose `ws` must not get browser builds).
// Reporters, pool and workers come from the shared preset.
const timeouts = { testTimeout: 20_000, hookTimeout: 30_000 };

export default mergeConfig(
  definePackageConfig(),
  defineConfig({
    test: {
      projects: [
        {
          plugins: [solid()],
          resolve: { conditions: ['browser', 'development'] },
          test: { name: 'dom', environment: 'happy-dom', include: ['src/**/*.test.{ts,tsx}'], ...timeouts },
        },
        { test: { name: 'node', environment: 'node', include: ['test/**/*.test.ts'], ...timeouts } },
      ],
    },
  }),
);

import { defineConfig, mergeConfig } from 'vitest/config';
import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// Each file is one browser flow against one real panel: its tests share them and run in
// order. The shell is built once for all files (test/global-setup.ts).
export default mergeConfig(
  definePackageConfig({ testTimeout: 60_000, include: ['test/**/*.test.ts'] }),
  defineConfig({ test: { globalSetup: ['test/global-setup.ts'], hookTimeout: 120_000 } }),
);

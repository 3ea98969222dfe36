import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// One browser flow against one real panel: the tests of a file share it and run in order.
export default definePackageConfig({ testTimeout: 60_000, include: ['test/**/*.test.ts'] });

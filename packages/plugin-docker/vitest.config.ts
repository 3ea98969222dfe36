import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// Compose runs and container lifecycles against the real engine take seconds each.
export default definePackageConfig({ testTimeout: 90_000 });

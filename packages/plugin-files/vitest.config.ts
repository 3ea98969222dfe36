import { definePackageConfig } from '../../tooling/vitest/preset.ts';

export default definePackageConfig({ testTimeout: 30_000 });

import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// The shell's logic in Node; its pages run in chromium in tooling/e2e.
export default definePackageConfig({ include: ['src/**/*.test.ts'] });

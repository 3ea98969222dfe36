import { definePackageConfig } from '../../tooling/vitest/preset.ts';

export default definePackageConfig();

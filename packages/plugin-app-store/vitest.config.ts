import { definePackageConfig } from '../../tooling/vitest/preset.ts';

// The end-to-end test drives a real dockerd, compose and caddy: give it room.
export default definePackageConfig({ testTimeout: 120_000 });

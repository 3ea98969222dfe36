// Tests run in Node against a real panel; the browser build config (vite.config.ts) is not used here.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { environment: 'node', include: ['test/**/*.test.ts'] } });

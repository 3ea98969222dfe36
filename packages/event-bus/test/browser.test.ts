import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The bus must run in the browser shell: bundled for the browser platform it
// may not pull in Node built-ins, and it must work in a context with only
// browser globals (no process, no require, no Buffer).
describe('in a browser context', () => {
  it('bundles for the browser and delivers events without Node globals', async () => {
    const result = await build({
      stdin: {
        contents: `
          import { createEventBus } from './src/index.ts';
          const bus = createEventBus({ onHandlerError: (f) => seen.push('error:' + f.subscriber) });
          bus.scope('shell').on('ui.clicked', () => { throw new Error('boom'); });
          bus.on('ui.*', (e) => seen.push(e.type + ':' + e.source + ':' + e.payload.n));
          bus.scope('plugin').emit('ui.clicked', { n: 1 });
        `,
        resolveDir: new URL('..', import.meta.url).pathname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
    const seen: string[] = [];
    runInNewContext(code, { seen, queueMicrotask, console });
    expect(seen).toEqual(['error:shell', 'ui.clicked:plugin:1']);
  });
});

import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { startTestPanel } from '@webcasa/plugin-testing';
import { expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle } from '../src/server.js';

it('adds container metrics when the optional docker plugin provides containerStats', async () => {
  const docker = defineServerPlugin({
    setup(ctx) {
      ctx.provide({
        async containerStats() {
          return [{ id: 'abc123', name: 'web', cpu: 12.5, memBytes: 64 * 2 ** 20 }];
        },
      });
    },
  });
  let handle!: MonitorHandle;
  const plugin = createMonitorPlugin({ source: createFakeSource(), onReady: (h) => (handle = h) });
  const t = await startTestPanel({
    plugins: [
      {
        manifest: { id: 'docker', name: 'Docker (fake)', version: '0.1.0', engine: '^1.0.0' },
        plugin: docker,
      },
      { manifest, plugin },
    ],
  });
  try {
    const sample = await handle.collect();
    expect(sample.containers).toEqual([{ id: 'abc123', name: 'web', cpu: 12.5, memBytes: 64 * 2 ** 20 }]);
    const current = await t.client.get('/api/plugins/monitor/current');
    expect(current.body.metrics).toMatchObject({
      'container.web.cpu': 12.5,
      'container.web.mem': 64 * 2 ** 20,
    });
  } finally {
    await t.stop();
  }
});

it('runs without the docker plugin', async () => {
  let handle!: MonitorHandle;
  const t = await startTestPanel({
    plugins: [
      { manifest, plugin: createMonitorPlugin({ source: createFakeSource(), onReady: (h) => (handle = h) }) },
    ],
  });
  try {
    expect((await handle.collect()).containers).toEqual([]);
  } finally {
    await t.stop();
  }
});

import { describe, expect, it } from 'vitest';
import { defineServerPlugin, isServerPlugin, SERVER_PLUGIN_MARKER } from './server.js';
import { defineWebPlugin, isWebPlugin } from './web.js';

describe('defineServerPlugin', () => {
  it('tags the definition with the marker and the plugin API version, frozen', () => {
    const plugin = defineServerPlugin({ setup() {} });
    expect(plugin.$$type).toBe(SERVER_PLUGIN_MARKER);
    expect(plugin.apiVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.isFrozen(plugin)).toBe(true);
    expect(isServerPlugin(plugin)).toBe(true);
  });

  it('refuses a definition without setup, and unknown shapes are not plugins', () => {
    expect(() => defineServerPlugin({} as never)).toThrow(/setup/);
    expect(isServerPlugin({ setup() {} })).toBe(false);
    expect(isServerPlugin({ $$type: SERVER_PLUGIN_MARKER })).toBe(false);
    expect(isServerPlugin(null)).toBe(false);
  });
});

describe('defineWebPlugin', () => {
  it('tags routes and slots; refuses a definition without routes', () => {
    const web = defineWebPlugin({
      routes: [{ path: '/', component: async () => ({ default: () => null }) }],
    });
    expect(isWebPlugin(web)).toBe(true);
    expect(isWebPlugin({ routes: [] })).toBe(false);
    expect(() => defineWebPlugin({} as never)).toThrow(/routes/);
  });
});

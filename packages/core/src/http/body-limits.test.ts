import { parseManifest } from '@webcasa/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { pluginBodyLimit } from './body-limits.js';

const MiB = 1024 * 1024;
const manifest = parseManifest({
  id: 'files',
  name: 'Files',
  version: '1.0.0',
  engine: '^1.2.0',
  http: {
    bodyLimits: [
      { method: 'PUT', path: '/upload/:id', maxBytes: 8 * MiB },
      { method: 'PUT', path: '/upload/big', maxBytes: 64 * MiB },
      { method: 'POST', path: '/import/*', maxBytes: 16 * MiB },
      { method: 'PATCH', path: '/', maxBytes: 1024 },
    ],
  },
});

describe('pluginBodyLimit', () => {
  it('matches method and path segments, :param one segment, a final * the rest', () => {
    expect(pluginBodyLimit(manifest, 'PUT', '/upload/u_1')).toBe(8 * MiB);
    expect(pluginBodyLimit(manifest, 'POST', '/upload/u_1')).toBeUndefined();
    expect(pluginBodyLimit(manifest, 'PUT', '/upload/u_1/more')).toBeUndefined();
    expect(pluginBodyLimit(manifest, 'PUT', '/upload')).toBeUndefined();
    expect(pluginBodyLimit(manifest, 'POST', '/import/a/b/c')).toBe(16 * MiB);
    expect(pluginBodyLimit(manifest, 'POST', '/import')).toBe(16 * MiB);
    expect(pluginBodyLimit(manifest, 'POST', '/other/a')).toBeUndefined();
    expect(pluginBodyLimit(manifest, 'PATCH', '/')).toBe(1024);
  });

  it('prefers the most specific rule', () => {
    expect(pluginBodyLimit(manifest, 'PUT', '/upload/big')).toBe(64 * MiB);
  });

  it('never goes past the 64 MiB cap, even for a manifest object it did not parse', () => {
    const forged = {
      ...manifest,
      http: { bodyLimits: [{ method: 'PUT' as const, path: '/x', maxBytes: 1e12 }] },
    };
    expect(pluginBodyLimit(forged, 'PUT', '/x')).toBe(64 * MiB);
  });
});

import type { MetricsHistory, Site } from '@webcasa/ui';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, lines, parseHeaderLines } from './format.js';
import { seriesPoints } from './plugin/series.js';
import { draftOf, emptyDraft, inputOf } from './sites/draft.js';

describe('site form', () => {
  it('sends only the fields of the chosen kind, and leaves blank required ones out for the API to name', () => {
    const d = {
      ...emptyDraft(),
      domains: 'a.example.com\n b.example.com ,',
      upstreams: '127.0.0.1:3000',
      tls: 'off' as const,
    };
    expect(inputOf(d)).toMatchObject({
      domains: ['a.example.com', 'b.example.com'],
      kind: 'reverse_proxy',
      upstreams: ['127.0.0.1:3000'],
      healthCheck: null,
      tls: 'off',
    });
    expect(inputOf(d)).not.toHaveProperty('root');
    const blank = inputOf({ ...emptyDraft(), kind: 'static', domains: 'x.example.com' });
    expect(blank).not.toHaveProperty('root');
    expect(blank).not.toHaveProperty('upstreams');
    expect(
      inputOf({ ...emptyDraft(), kind: 'redirect', redirectTo: 'https://e.com/', permanent: false }),
    ).toMatchObject({
      redirectTo: 'https://e.com/',
      permanent: false,
      preservePath: true,
    });
  });

  it('round-trips a stored site, keeping stored passwords and certificates unless replaced', () => {
    const site = {
      id: 1,
      name: 'shop',
      domains: ['shop.example.com'],
      kind: 'reverse_proxy',
      enabled: true,
      tls: 'custom',
      certificate: {
        subject: 'CN=shop',
        issuer: 'CN=ca',
        names: [],
        notBefore: '',
        notAfter: '',
        fingerprint256: '',
      },
      upstreams: ['127.0.0.1:1', '127.0.0.1:2'],
      loadBalancing: 'least_conn',
      healthCheck: { path: '/health', intervalSeconds: 10, timeoutSeconds: 2 },
      websocket: false,
      upstreamHeaders: { 'X-A': '1' },
      headers: { 'X-Frame-Options': 'DENY' },
      basicAuth: [{ username: 'ann' }],
      allow: ['10.0.0.0/8'],
      deny: [],
      compression: false,
      accessLog: true,
      revision: 3,
      status: 'applied',
      createdAt: 0,
      updatedAt: 0,
    } satisfies Site;
    const input = inputOf(draftOf(site), site);
    expect(input).toMatchObject({
      upstreams: ['127.0.0.1:1', '127.0.0.1:2'],
      loadBalancing: 'least_conn',
      healthCheck: { path: '/health', intervalSeconds: 10, timeoutSeconds: 2 },
      websocket: false,
      upstreamHeaders: { 'X-A': '1' },
      headers: { 'X-Frame-Options': 'DENY' },
      basicAuth: [{ username: 'ann' }],
      allow: ['10.0.0.0/8'],
      compression: false,
      accessLog: true,
    });
    expect(input).not.toHaveProperty('certificate');
    expect(inputOf({ ...draftOf(site), tls: 'internal' }, site).certificate).toBeNull();
  });
});

describe('helpers', () => {
  it('formats sizes and durations, and parses lists and headers', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(5 * 1024 ** 3)]).toEqual([
      '512 B',
      '2.0 KB',
      '5.0 GB',
    ]);
    expect([
      formatDuration(12.34),
      formatDuration(1500),
      formatDuration(125_000),
      formatDuration(null),
    ]).toEqual(['12.3 ms', '1.5 s', '2 min 5 s', '—']);
    expect(lines(' a, b\n\nc ')).toEqual(['a', 'b', 'c']);
    expect(parseHeaderLines('X-A: 1\nbad line\nX-B:  two: parts ')).toEqual({
      'X-A': '1',
      'X-B': 'two: parts',
    });
  });

  it('puts a metric history on a regular grid, with gaps where there is no sample', () => {
    const history: MetricsHistory = {
      from: 60_000 * 10,
      to: 60_000 * 14,
      stepMs: 60_000,
      metrics: ['requests'],
      series: [
        {
          plugin: 'x',
          points: [
            { time: 600_000, requests: 3 },
            { time: 720_000, requests: 5 },
          ],
        },
      ],
    };
    expect(seriesPoints(history, 'requests')).toEqual([
      { x: 600_000, y: 3 },
      { x: 660_000, y: null },
      { x: 720_000, y: 5 },
      { x: 780_000, y: null },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { escapeLabelValue, renderPrometheus } from './prometheus.js';
import { createMetricsRegistry } from './registry.js';

describe('renderPrometheus', () => {
  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('docker')).toBe('docker');
  });

  it('writes HELP and TYPE once before each family, then its samples', () => {
    const metrics = createMetricsRegistry();
    metrics.recordRequest('alpha', 200, 1);
    const text = renderPrometheus(metrics, [{ id: 'alpha', status: 'running' }]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    const typeLines = lines.filter((l) => l.startsWith('# TYPE '));
    const names = typeLines.map((l) => l.split(' ')[2]!);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      const help = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${name} `))!);
      const type = lines.findIndex((l) => l.startsWith(`# TYPE ${name} `));
      const firstSample = lines.findIndex((l) => !l.startsWith('#') && l.startsWith(name));
      expect(help).toBeGreaterThanOrEqual(0);
      expect(type).toBe(help + 1);
      if (firstSample !== -1) expect(firstSample).toBeGreaterThan(type);
    }
  });

  it('reports requests, a cumulative histogram in seconds and the timings of known plugins', () => {
    const metrics = createMetricsRegistry();
    metrics.recordRequest('alpha', 200, 1);
    metrics.recordRequest('alpha', 503, 3);
    metrics.recordRequest('alpha', 200, 100_000);
    metrics.recordEvent('core');
    const text = renderPrometheus(metrics, [
      { id: 'alpha', status: 'running', timings: { setupMs: 12.5, startMs: 0.5 } },
      { id: 'beta', status: 'error', timings: { setupMs: null, startMs: null } },
    ]);
    const lines = text.split('\n');
    expect(lines).toContain('webcasa_plugin_up{plugin="alpha"} 1');
    expect(lines).toContain('webcasa_plugin_up{plugin="beta"} 0');
    expect(lines).toContain('webcasa_plugin_http_requests_total{plugin="alpha"} 3');
    expect(lines).toContain('webcasa_plugin_http_requests_total{plugin="beta"} 0');
    expect(lines).toContain('webcasa_plugin_http_server_errors_total{plugin="alpha"} 1');
    expect(lines).toContain('webcasa_plugin_events_emitted_total{plugin="core"} 1');
    expect(lines).toContain(
      'webcasa_plugin_http_request_duration_seconds_bucket{plugin="alpha",le="0.001"} 1',
    );
    expect(lines).toContain(
      'webcasa_plugin_http_request_duration_seconds_bucket{plugin="alpha",le="0.004"} 2',
    );
    expect(lines).toContain(
      'webcasa_plugin_http_request_duration_seconds_bucket{plugin="alpha",le="65.536"} 2',
    );
    expect(lines).toContain(
      'webcasa_plugin_http_request_duration_seconds_bucket{plugin="alpha",le="+Inf"} 3',
    );
    expect(lines).toContain('webcasa_plugin_http_request_duration_seconds_sum{plugin="alpha"} 100.004');
    expect(lines).toContain('webcasa_plugin_http_request_duration_seconds_count{plugin="alpha"} 3');
    expect(lines).toContain('webcasa_plugin_setup_seconds{plugin="alpha"} 0.0125');
    expect(lines).toContain('webcasa_plugin_start_seconds{plugin="alpha"} 0.0005');
    expect(lines.some((l) => l.startsWith('webcasa_plugin_setup_seconds{plugin="beta"}'))).toBe(false);
    expect(lines.some((l) => /^process_resident_memory_bytes \d+$/.test(l))).toBe(true);
  });
});

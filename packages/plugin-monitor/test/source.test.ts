import { expect, it } from 'vitest';
import { flatten } from '../src/metrics.js';
import { createSystemSource } from '../src/source-si.js';

it('reads this machine with systeminformation', async () => {
  const source = createSystemSource();
  const first = await source.sample({ processes: 3 });
  await new Promise((r) => setTimeout(r, 300));
  const s = await source.sample({ processes: 3 });
  expect(s.cpu.cores.length).toBeGreaterThan(0);
  expect(s.cpu.total).toBeGreaterThanOrEqual(0);
  expect(s.cpu.total).toBeLessThanOrEqual(100);
  expect(s.memory.total).toBeGreaterThan(0);
  expect(s.memory.usedPct).toBeGreaterThan(0);
  expect(s.uptime).toBeGreaterThan(0);
  expect(s.network.length).toBeGreaterThan(0);
  expect(s.processes.length).toBeLessThanOrEqual(3);
  expect(first.network.every((n) => n.rxBps === 0)).toBe(true); // no rate before a previous reading
  const m = flatten({ ...s, containers: [] });
  expect(m['cpu.core.0']).toBeTypeOf('number');
  expect(m['load.1']).toBeGreaterThanOrEqual(0);
});

/**
 * Event bus emit→handler throughput against raw eventemitter3, in the same process.
 * Prints one JSON line per measurement and a ratio (goal: >= 0.9).
 */
import { EventEmitter } from 'eventemitter3';
import { createEventBus } from '../src/index.js';

const N = 2_000_000;
const ROUNDS = 5;

function measure(label: string, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - start);
    best = Math.min(best, ns);
  }
  const perSec = N / (best / 1e9);
  console.log(JSON.stringify({ bench: 'event-bus', case: label, eventsPerSec: Math.round(perSec) }));
  return perSec;
}

let sink = 0;
const raw = new EventEmitter();
raw.on('host.created', (p: { id: number }) => {
  sink += p.id;
});
const bus = createEventBus();
bus.on('host.created' as never, (e: { payload: { id: number } }) => {
  sink += e.payload.id;
});
const plugin = bus.scope('sites');

const payload = { id: 1 };
// Warm both paths so the JIT has compiled them before timing.
for (let i = 0; i < 200_000; i++) {
  raw.emit('host.created', payload);
  plugin.emit('host.created' as never, payload as never);
}
const rawRate = measure('raw eventemitter3', () => {
  for (let i = 0; i < N; i++) raw.emit('host.created', payload);
});
const busRate = measure('webcasa bus (scoped, stamped)', () => {
  for (let i = 0; i < N; i++) plugin.emit('host.created' as never, payload as never);
});
console.log(
  JSON.stringify({
    bench: 'event-bus',
    ratio: Number((busRate / rawRate).toFixed(3)),
    goal: 0.9,
    sink: sink > 0,
  }),
);

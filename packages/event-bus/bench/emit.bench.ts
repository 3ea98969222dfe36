/**
 * Event bus emit→handler throughput against raw eventemitter3, in the same process.
 * Prints one JSON line per measurement and a ratio (goal: >= 0.9).
 */
import { EventEmitter } from 'eventemitter3';
import { createEventBus } from '../src/index.js';

const N = 2_000_000;
const ROUNDS = 7;

/** Best rate of each case over ROUNDS, the cases interleaved so machine noise hits both alike. */
function measure(cases: Record<string, () => void>): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, fn] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      fn();
      const ns = Number(process.hrtime.bigint() - start);
      best[label] = Math.max(best[label] ?? 0, N / (ns / 1e9));
    }
  }
  for (const [label, rate] of Object.entries(best)) {
    console.log(JSON.stringify({ bench: 'event-bus', case: label, eventsPerSec: Math.round(rate) }));
  }
  return best;
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
const rates = measure({
  raw: () => {
    for (let i = 0; i < N; i++) raw.emit('host.created', payload);
  },
  bus: () => {
    for (let i = 0; i < N; i++) plugin.emit('host.created' as never, payload as never);
  },
});
console.log(
  JSON.stringify({
    bench: 'event-bus',
    metric: 'emit→handler throughput, scoped and stamped bus vs raw eventemitter3',
    ratio: Number((rates.bus! / rates.raw!).toFixed(3)),
    goal: 0.9,
    sink: sink > 0,
  }),
);

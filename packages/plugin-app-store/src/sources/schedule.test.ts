import { describe, expect, it } from 'vitest';
import { SyncSchedule } from './schedule.js';

const HOUR = 3_600_000;

// A clock and a timer list driven by hand: what ctx.schedule.every does, at any speed.
function harness() {
  let now = 1_000_000;
  const timers = new Set<{ ms: number; due: number; fn: () => void | Promise<void> }>();
  const every = (ms: number, fn: () => void | Promise<void>) => {
    const t = { ms, due: now + ms, fn };
    timers.add(t);
    return () => timers.delete(t);
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > end) break;
      now = next.due;
      next.due += next.ms;
      void next.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    now = end;
  };
  return { every, advance, timers, now: () => now };
}

describe('store sync schedule', () => {
  it('syncs every interval and follows a changed interval without a restart', async () => {
    const h = harness();
    let syncs = 0;
    const s = new SyncSchedule(
      h.every,
      async () => {
        syncs++;
      },
      h.now,
    );
    s.plan(24);
    expect(s.state).toEqual({ intervalHours: 24, nextSyncAt: h.now() + 24 * HOUR });
    await h.advance(24 * HOUR);
    expect(syncs).toBe(1);
    // The setting changes to 2 hours: the next sync is 2 hours from now, not 24.
    s.plan(2);
    expect(s.state.nextSyncAt).toBe(h.now() + 2 * HOUR);
    await h.advance(2 * HOUR);
    expect(syncs).toBe(2);
    await h.advance(6 * HOUR);
    expect(syncs).toBe(5);
    // One timer only: the old 24 h timer is gone.
    expect(h.timers.size).toBe(1);
    // The same value again changes nothing.
    const due = s.state.nextSyncAt;
    s.plan(2);
    expect(s.state.nextSyncAt).toBe(due);
  });

  it('handles intervals longer than a timer can hold (720 h) without syncing early', async () => {
    const h = harness();
    let syncs = 0;
    const s = new SyncSchedule(
      h.every,
      async () => {
        syncs++;
      },
      h.now,
    );
    s.plan(720);
    expect([...h.timers][0]?.ms).toBeLessThanOrEqual(HOUR);
    await h.advance(719 * HOUR);
    expect(syncs).toBe(0);
    await h.advance(HOUR);
    expect(syncs).toBe(1);
  });

  it('does not start a sync while the previous one still runs', async () => {
    const h = harness();
    let started = 0;
    let release: () => void = () => {};
    const s = new SyncSchedule(
      h.every,
      () => {
        started++;
        return new Promise<void>((r) => {
          release = r;
        });
      },
      h.now,
    );
    s.plan(1);
    await h.advance(HOUR);
    expect(started).toBe(1);
    await h.advance(HOUR);
    expect(started).toBe(1);
    release();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await h.advance(HOUR);
    expect(started).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from './rate-limit.js';

function limiter(options: { limit?: number; windowMs?: number; maxKeys?: number } = {}) {
  let time = 1_000_000;
  const l = new SlidingWindowLimiter({ limit: 3, windowMs: 60_000, ...options, now: () => time });
  return { l, advance: (ms: number) => (time += ms) };
}

describe('SlidingWindowLimiter', () => {
  it('allows `limit` attempts per window, then refuses with the wait', () => {
    const { l, advance } = limiter();
    expect(l.hit('a')).toMatchObject({ allowed: true, remaining: 2 });
    advance(10_000);
    expect(l.hit('a').allowed).toBe(true);
    expect(l.hit('a')).toMatchObject({ allowed: true, remaining: 0 });
    const refused = l.hit('a');
    expect(refused.allowed).toBe(false);
    // The first attempt leaves the window 60 s after it was made, 50 s from now.
    expect(refused.retryAfterMs).toBe(50_000);
  });

  it('slides: each attempt frees its slot exactly one window later', () => {
    const { l, advance } = limiter();
    l.hit('a');
    advance(30_000);
    l.hit('a');
    l.hit('a');
    advance(29_999);
    expect(l.hit('a').allowed).toBe(false);
    advance(1);
    expect(l.hit('a').allowed).toBe(true);
    expect(l.hit('a').allowed).toBe(false);
    advance(30_000);
    expect(l.hit('a').allowed).toBe(true);
  });

  it('does not count refused attempts (a client hammering is not locked out forever)', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 3; i++) l.hit('a');
    for (let i = 0; i < 100; i++) expect(l.hit('a').allowed).toBe(false);
    advance(60_000);
    expect(l.hit('a').allowed).toBe(true);
  });

  it('keeps keys apart, and check() does not count', () => {
    const { l } = limiter({ limit: 1 });
    expect(l.hit('a').allowed).toBe(true);
    expect(l.check('b').allowed).toBe(true);
    expect(l.check('b').allowed).toBe(true);
    expect(l.hit('b').allowed).toBe(true);
    expect(l.hit('a').allowed).toBe(false);
    l.reset('a');
    expect(l.hit('a').allowed).toBe(true);
  });

  it('holds at most maxKeys keys, dropping the least recently used', () => {
    const { l } = limiter({ limit: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) l.hit(`ip-${i}`);
    expect(l.size).toBe(100);
    expect(l.hit('ip-9999').allowed).toBe(false);
    expect(l.hit('ip-0').allowed).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new SlidingWindowLimiter({ limit: 0 })).toThrow(RangeError);
    expect(() => new SlidingWindowLimiter({ windowMs: -1 })).toThrow(RangeError);
  });
});

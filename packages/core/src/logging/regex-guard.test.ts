import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import {
  activeRegexSearches,
  compileSearchPattern,
  createRegexMatcher,
  LOG_SEARCH_TIMEOUT,
  setMaxConcurrentRegexSearches,
} from './regex-guard.js';

afterEach(() => setMaxConcurrentRegexSearches(4));

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

describe('compileSearchPattern', () => {
  it('compiles case-insensitively and refuses invalid or overlong patterns naming the field', () => {
    expect(compileSearchPattern('Time(out)?').test('a TIMEOUT')).toBe(true);
    for (const bad of ['(', '[a-', 'a{2,1}', 'x'.repeat(501)]) {
      let error: unknown;
      try {
        compileSearchPattern(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 400, field: 'query.q' });
    }
  });
});

describe('createRegexMatcher', () => {
  it('filters lines in a worker and refuses stateful flags', async () => {
    const m = createRegexMatcher('^err|timeout$');
    try {
      expect(await m.filter(['ERROR x', 'fine', 'a timeout', 'timeouts'])).toEqual(['ERROR x', 'a timeout']);
      expect(await m.filter([])).toEqual([]);
      expect(await m.filter(['timeout'])).toEqual(['timeout']);
      expect(m.spentMs).toBeGreaterThan(0);
    } finally {
      m.close();
    }
    expect(() => createRegexMatcher('x', { flags: 'gi' })).toThrow(/flags g and y/);
  });

  it('stops a catastrophic pattern at its time limit while the event loop keeps running', async () => {
    const limit = 300;
    const m = createRegexMatcher('^(a+)+$', { timeLimitMs: limit });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    // Warm the worker up so only matching is timed.
    await m.filter(['aaa']);
    const began = Date.now();
    const error = await failure(m.filter(['x', `${'a'.repeat(40)}b`, 'y']));
    const took = Date.now() - began;
    clearInterval(ticker);
    expect(error).toMatchObject({ status: 422, code: LOG_SEARCH_TIMEOUT, field: 'query.q' });
    expect(took).toBeGreaterThanOrEqual(limit - 50);
    expect(took).toBeLessThan(2 * limit);
    expect(ticks).toBeGreaterThan(5); // the main thread was free meanwhile
    expect(activeRegexSearches()).toBe(0); // the worker was released
    // A closed matcher refuses further work instead of hanging.
    await expect(m.filter(['a'])).rejects.toThrow(/closed/);
  });

  it('counts the limit over the whole search, not per batch', async () => {
    const m = createRegexMatcher('^(a+)+$', { timeLimitMs: 300 });
    try {
      // Each batch backtracks for ~1 ms (2^16 steps): far below the limit on its own.
      const slow = `${'a'.repeat(16)}b`;
      let error: HttpError | undefined;
      let batches = 0;
      for (; batches < 5000 && !error; batches++) {
        error = await m.filter([slow]).then(
          () => undefined,
          (e: HttpError) => e,
        );
      }
      expect(error).toMatchObject({ code: LOG_SEARCH_TIMEOUT });
      expect(batches).toBeGreaterThan(5);
      expect(m.spentMs).toBeGreaterThanOrEqual(250);
    } finally {
      m.close();
    }
  });

  it('limits how many searches run a worker at once', async () => {
    setMaxConcurrentRegexSearches(1);
    const first = createRegexMatcher('a');
    const second = createRegexMatcher('b');
    try {
      expect(await first.filter(['a'])).toEqual(['a']);
      expect(await failure(second.filter(['b']))).toMatchObject({ status: 429 });
      first.close();
      const third = createRegexMatcher('b');
      expect(await third.filter(['b'])).toEqual(['b']);
      third.close();
    } finally {
      first.close();
      second.close();
    }
    expect(activeRegexSearches()).toBe(0);
  });
});

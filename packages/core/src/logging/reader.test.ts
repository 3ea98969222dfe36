import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lineRank,
  lineTime,
  logFiles,
  parseLogLine,
  parseSince,
  readLinesBackward,
  readLog,
  substringPattern,
} from './reader.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-reader-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A pino-like line: ISO time, as the core logger writes it. */
function line(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    level: LEVELS[i % 4],
    time: new Date(T0 + i * 1000).toISOString(),
    plugin: 'demo',
    msg: `message ${i}`,
    ...extra,
  });
}

function writeLines(file: string, from: number, to: number): void {
  const parts: string[] = [];
  for (let i = from; i < to; i++) parts.push(line(i));
  writeFileSync(file, `${parts.join('\n')}\n`);
}

async function collect(path: string, options = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readLinesBackward(path, options)) out.push(...batch);
  return out;
}

describe('readLinesBackward', () => {
  it('yields every line newest first, across chunk boundaries, with and without a final newline', async () => {
    const file = join(dir, 'chunks.log');
    // Lines of varied length (some multi-byte) so lines straddle the 64 KiB chunk edges.
    const lines = Array.from({ length: 5000 }, (_, i) => `${i}:${'é✓x'.repeat(i % 97)}`);
    writeFileSync(file, lines.join('\n'));
    expect(await collect(file)).toEqual([...lines].reverse());
    writeFileSync(file, `${lines.join('\r\n')}\r\n\n`);
    expect(await collect(file)).toEqual([...lines].reverse());
  });

  it('skips lines longer than maxLineBytes but keeps their neighbours', async () => {
    const file = join(dir, 'long.log');
    writeFileSync(file, `first\n${'x'.repeat(300_000)}\nlast\n${'y'.repeat(200_000)}`);
    expect(await collect(file, { maxLineBytes: 100_000 })).toEqual(['last', 'first']);
  });

  it('reads only up to `end`, and nothing of a missing file', async () => {
    const file = join(dir, 'end.log');
    writeFileSync(file, 'a\nb\nc\n');
    expect(await collect(file, { end: 4 })).toEqual(['b', 'a']);
    expect(await collect(join(dir, 'missing.log'))).toEqual([]);
  });
});

describe('parsing', () => {
  it('parses ISO and epoch times, label and numeric levels, and non-JSON lines', () => {
    expect(parseLogLine(line(1))).toMatchObject({
      time: T0 + 1000,
      level: 'info',
      msg: 'message 1',
      plugin: 'demo',
    });
    expect(parseLogLine('{"level":50,"time":1714521600000,"msg":"x"}')).toMatchObject({
      level: 'error',
      time: 1714521600000,
    });
    expect(parseLogLine('not json')).toEqual({ time: null, level: null, msg: 'not json' });
    expect(lineTime(line(2))).toBe(T0 + 2000);
    expect(lineRank(line(3))).toBe(50);
    expect(lineRank('{"msg":"no level"}')).toBeUndefined();
  });

  it('searches substrings literally and case-insensitively', () => {
    const p = substringPattern('a.b (c)*');
    expect(p.test('x A.B (C)* y')).toBe(true);
    expect(p.test('aXb (c)')).toBe(false);
  });

  it('parses since as epoch ms or an ISO date, and refuses anything else', () => {
    expect(parseSince('1714521600000')).toBe(1714521600000);
    expect(parseSince('2024-05-01T00:00:00Z')).toBe(T0);
    expect(parseSince('2024-05-01')).toBe(T0);
    expect(parseSince('May 1')).toBeUndefined();
    expect(parseSince('2024-13-45')).toBeUndefined();
  });
});

describe('readLog', () => {
  it('returns the last lines, newest last, and says when it stopped early', async () => {
    const file = join(dir, 'plain.log');
    writeLines(file, 0, 1000);
    const last = await readLog(file, { lines: 3 });
    expect(last.lines.map((l) => l.msg)).toEqual(['message 997', 'message 998', 'message 999']);
    expect(last.truncated).toBe(true);
    const all = await readLog(file, { lines: 5000 });
    expect(all.lines).toHaveLength(1000);
    expect(all.truncated).toBe(false);
  });

  it('filters by minimum level, since, substring and regex', async () => {
    const file = join(dir, 'filters.log');
    writeLines(file, 0, 400);
    const errors = await readLog(file, { lines: 5, level: 'error' });
    expect(errors.lines.map((l) => l.msg)).toEqual([383, 387, 391, 395, 399].map((i) => `message ${i}`));
    expect(errors.lines.every((l) => l.level === 'error')).toBe(true);
    const warnUp = await readLog(file, { lines: 5000, level: 'warn' });
    expect(warnUp.lines).toHaveLength(200);

    const recent = await readLog(file, { lines: 5000, since: T0 + 390_000 });
    expect(recent.lines.map((l) => l.msg)).toEqual(
      Array.from({ length: 10 }, (_, i) => `message ${390 + i}`),
    );
    expect(recent.truncated).toBe(false);

    const sub = await readLog(file, { lines: 5000, q: 'MESSAGE 12' });
    expect(sub.lines.map((l) => l.msg)).toEqual([
      'message 12',
      ...Array.from({ length: 10 }, (_, i) => `message ${120 + i}`),
    ]);

    // Minimum level error (i % 4 === 3) and the pattern: 35, 315, 335, 355, 375, 395.
    const re = await readLog(file, {
      lines: 5000,
      q: '"msg":"MESSAGE 3[0-9]?5"',
      regex: true,
      level: 'error',
    });
    expect(re.lines.map((l) => l.msg)).toEqual([35, 315, 335, 355, 375, 395].map((i) => `message ${i}`));
  });

  it('reads across rotated files newest first and lists them in order', async () => {
    const file = join(dir, 'rot.log');
    writeLines(`${file}.2`, 0, 10);
    writeLines(`${file}.1`, 10, 20);
    writeLines(file, 20, 25);
    writeFileSync(`${file}.bak`, 'not a rotated file\n');
    expect((await logFiles(file)).map((f) => f.name)).toEqual(['rot.log', 'rot.log.1', 'rot.log.2']);
    const res = await readLog(file, { lines: 12 });
    expect(res.lines.map((l) => l.msg)).toEqual(Array.from({ length: 12 }, (_, i) => `message ${13 + i}`));
    const all = await readLog(file, { lines: 5000, q: 'message 1' });
    expect(all.lines.map((l) => l.msg)).toEqual([
      'message 1',
      ...Array.from({ length: 10 }, (_, i) => `message ${10 + i}`),
    ]);
  });

  it('stops at an abort signal', async () => {
    const file = join(dir, 'abort.log');
    writeLines(file, 0, 10);
    await expect(readLog(file, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it('reads the last lines of a 50 MB file, and scans all of it, with bounded memory', async () => {
    const file = join(dir, 'big.log');
    const fd = openSync(file, 'w');
    const block: string[] = [];
    for (let i = 0; i < 2000; i++) block.push(line(i, { pad: 'p'.repeat(100) }));
    const text = `${block.join('\n')}\n`;
    // Bounded: stops once the file passes 50 MB.
    for (let written = 0; written < 50 * 1024 * 1024; ) written += writeSync(fd, text);
    writeSync(fd, `${line(999_999, { msg: 'the very last line' })}\n`);
    closeSync(fd);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(50 * 1024 * 1024);

    // Memory the reader holds on to: sampled after a full GC, so garbage not yet collected does
    // not count (it is reclaimable) but anything kept across chunks would.
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = live();
    let peak = before;
    let samples = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, live());
      samples++;
    }, 20);
    try {
      const heapBefore = process.memoryUsage().heapUsed;
      const tail = await readLog(file, { lines: 200 });
      // Without any GC: reading the end of the file allocates little at all.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
      expect(tail.lines).toHaveLength(200);
      expect(tail.lines.at(-1)!.msg).toBe('the very last line');

      // A search that matches nothing reads the whole file.
      const none = await readLog(file, { lines: 200, q: 'no such text anywhere' });
      expect(none.lines).toEqual([]);
      // Generous limit: this is about memory, and two test files may share the two cores.
      const regex = await readLog(file, {
        lines: 200,
        q: 'no such (text|words)',
        regex: true,
        regexOptions: { timeLimitMs: 30_000 },
      });
      expect(regex.lines).toEqual([]);
      expect(samples).toBeGreaterThan(3); // the sampler did run during the scans
      expect(peak - before).toBeLessThan(size / 10);
    } finally {
      clearInterval(timer);
    }
  });
});

import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoggers } from './logger.js';
import { readLog } from './reader.js';
import { rotateIfNeeded } from './rotation.js';
import { createLogTail, type LogTail } from './tail.js';

let dir: string;
let tail: LogTail;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-tail-'));
  tail = createLogTail({ pollMs: 50 });
});
afterEach(() => {
  tail.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('createLogTail', () => {
  it('delivers appended lines from the end, joining lines written in pieces', async () => {
    const file = join(dir, 'a.log');
    writeFileSync(file, 'old 1\nold 2\n');
    const got: string[] = [];
    const sub = tail.follow(file, (line) => got.push(line));
    expect(sub.position).toBe(12);
    appendFileSync(file, 'new 1\nnew');
    await until(() => got.length === 1);
    appendFileSync(file, ' 2\r\n\nnew 3\n');
    await until(() => got.length === 3);
    expect(got).toEqual(['new 1', 'new 2', 'new 3']);
    sub.unsubscribe();
    expect(tail.followed).toBe(0);
  });

  it('shares one follower between subscribers and stops it with the last one', async () => {
    const file = join(dir, 'shared.log');
    writeFileSync(file, '');
    const seen = [[], [], []] as string[][];
    const subs = seen.map((list) => tail.follow(file, (line) => list.push(line)));
    expect(tail.followed).toBe(1);
    expect(tail.subscribers(file)).toBe(3);
    appendFileSync(file, 'one\ntwo\n');
    await until(() => seen.every((l) => l.length === 2));
    subs[0]!.unsubscribe();
    subs[0]!.unsubscribe(); // twice is harmless
    appendFileSync(file, 'three\n');
    await until(() => seen[1]!.length === 3 && seen[2]!.length === 3);
    expect(seen[0]).toEqual(['one', 'two']);
    subs[1]!.unsubscribe();
    subs[2]!.unsubscribe();
    expect(tail.followed).toBe(0);
  });

  it('follows a file that does not exist yet, and one truncated in place', async () => {
    const file = join(dir, 'later.log');
    const got: string[] = [];
    const sub = tail.follow(file, (line) => got.push(line));
    expect(sub.position).toBe(0);
    writeFileSync(file, 'first\nsecond\n');
    await until(() => got.length === 2);
    truncateSync(file, 0);
    // Let the follower see the shrink before new bytes arrive (copytruncate-style rotation).
    await new Promise((r) => setTimeout(r, 150));
    appendFileSync(file, 'after\n');
    await until(() => got.length === 3);
    expect(got).toEqual(['first', 'second', 'after']);
  });

  it('survives rotation: reads the old file to its end, then the new one from its start', async () => {
    const file = join(dir, 'rot.log');
    writeFileSync(file, '');
    const got: string[] = [];
    tail.follow(file, (line) => got.push(line));
    appendFileSync(file, 'a\nb\n');
    await until(() => got.length === 2);
    // Lines written just before the rename, not yet read, must not be lost.
    appendFileSync(file, 'c\n');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'd\n');
    appendFileSync(file, 'e\n');
    await until(() => got.length === 5);
    expect(got).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('follows the core logger through size rotation with reopen, by polling alone', async () => {
    const polled = createLogTail({ pollMs: 30, watch: false });
    const logs = createLoggers({ dataDir: dir, stdout: false });
    try {
      const log = logs.pluginLogger('demo');
      const file = logs.logFile('demo');
      const got: string[] = [];
      polled.follow(file, (line) => got.push(JSON.parse(line).msg));
      let n = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 20; i++) log.info(`line ${n++}`, { pad: 'x'.repeat(100) });
        await until(() => got.length === n);
        for (let i = 0; i < 20; i++) log.info(`line ${n++}`, { pad: 'x'.repeat(100) });
        if (rotateIfNeeded(file, { maxBytes: 1024, keep: 5 })) logs.reopen();
      }
      log.info(`line ${n++}`);
      await until(() => got.length === n);
      expect(got).toEqual(Array.from({ length: n }, (_, i) => `line ${i}`));
      // And the reader sees the same history across the rotated files.
      const { lines } = await readLog(file, { lines: 5000 });
      expect(lines.map((l) => l.msg)).toEqual(got);
    } finally {
      polled.close();
      await logs.close();
    }
  });

  it('skips lines over maxLineBytes, and a throwing listener does not stop the others', async () => {
    const errors: unknown[] = [];
    const small = createLogTail({ pollMs: 30, maxLineBytes: 1000, onError: (e) => errors.push(e) });
    try {
      const file = join(dir, 'long.log');
      writeFileSync(file, '');
      const got: string[] = [];
      small.follow(file, () => {
        throw new Error('boom');
      });
      small.follow(file, (line) => got.push(line));
      appendFileSync(file, `short\n${'x'.repeat(5000)}`);
      appendFileSync(file, `${'x'.repeat(5000)}\nend\n`);
      await until(() => got.length === 2);
      expect(got).toEqual(['short', 'end']);
      expect(errors).toHaveLength(2);
    } finally {
      small.close();
    }
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoggers } from './logger.js';
import { readLog } from './reader.js';
import { rotate, rotateIfNeeded, rotationOptions, startRotationChecker } from './rotation.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-rotation-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rotationOptions', () => {
  it('takes options, then the environment, then 10 MiB and 5, and refuses malformed variables', () => {
    expect(rotationOptions({}, {})).toEqual({ maxBytes: 10 * 1024 * 1024, keep: 5 });
    expect(rotationOptions({}, { WEBCASA_LOG_MAX_BYTES: '2048', WEBCASA_LOG_KEEP: '2' })).toEqual({
      maxBytes: 2048,
      keep: 2,
    });
    expect(rotationOptions({ keep: 1 }, { WEBCASA_LOG_KEEP: '2' }).keep).toBe(1);
    expect(() => rotationOptions({}, { WEBCASA_LOG_KEEP: 'many' })).toThrow(/WEBCASA_LOG_KEEP="many"/);
    expect(() => rotationOptions({}, { WEBCASA_LOG_MAX_BYTES: '10' })).toThrow(/WEBCASA_LOG_MAX_BYTES/);
  });
});

describe('rotateIfNeeded', () => {
  it('rotates only past maxBytes and keeps `keep` files, newest as .1', () => {
    const file = join(dir, 'demo.log');
    expect(rotateIfNeeded(file, { maxBytes: 1024, keep: 3 })).toBe(false); // missing
    writeFileSync(file, 'small\n');
    expect(rotateIfNeeded(file, { maxBytes: 1024, keep: 3 })).toBe(false);
    for (let round = 1; round <= 6; round++) {
      writeFileSync(file, `round ${round}\n`.padEnd(2000, '.'));
      expect(rotateIfNeeded(file, { maxBytes: 1024, keep: 3 })).toBe(true);
      expect(existsSync(file)).toBe(false);
    }
    expect(readdirSync(dir).sort()).toEqual(['demo.log.1', 'demo.log.2', 'demo.log.3']);
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(/^round 6/);
    expect(readFileSync(`${file}.3`, 'utf8')).toMatch(/^round 4/);
  });

  it('drops files left past a smaller keep, and deletes the file with keep 0', () => {
    const file = join(dir, 'demo.log');
    for (const n of [1, 2, 3, 4]) writeFileSync(`${file}.${n}`, `${n}\n`);
    writeFileSync(join(dir, 'other.log.9'), 'not ours\n');
    writeFileSync(file, 'now\n');
    rotate(file, 2);
    expect(readdirSync(dir).sort()).toEqual(['demo.log.1', 'demo.log.2', 'other.log.9']);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('now\n');
    expect(readFileSync(`${file}.2`, 'utf8')).toBe('1\n');
    writeFileSync(file, 'gone\n');
    rotate(file, 0);
    expect(readdirSync(dir).sort()).toEqual(['other.log.9']);
  });
});

describe('startRotationChecker with the core logger', () => {
  it('rotates a live log, the logger reopens, and the reader reads across the files', async () => {
    const logs = createLoggers({ dataDir: dir, stdout: false });
    const log = logs.pluginLogger('demo');
    const file = logs.logFile('demo');
    const rotated: string[] = [];
    const checker = startRotationChecker({
      files: () => [file],
      maxBytes: 4096,
      keep: 2,
      intervalMs: 60_000,
      onRotated: (f) => {
        rotated.push(f);
        logs.reopen();
      },
    });
    try {
      let n = 0;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 40; i++) log.info(`line ${n++}`, { pad: 'x'.repeat(80) });
        expect(checker.check()).toEqual([file]);
      }
      for (let i = 0; i < 5; i++) log.info(`line ${n++}`);
      expect(rotated).toHaveLength(4);
      expect(
        readdirSync(join(dir, 'logs'))
          .filter((f) => f.startsWith('demo'))
          .sort(),
      ).toEqual(['demo.log', 'demo.log.1', 'demo.log.2']);
      // The reopened file holds only what came after the last rotation.
      expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);
      const { lines } = await readLog(file, { lines: 5000 });
      // Two rounds rotated away for good, two kept, plus the live file.
      expect(lines.map((l) => l.msg)).toEqual(Array.from({ length: 85 }, (_, i) => `line ${80 + i}`));
    } finally {
      checker.stop();
      await logs.close();
    }
  });

  it('reports a failure and carries on with the other files', () => {
    const good = join(dir, 'good.log');
    writeFileSync(good, 'x'.repeat(5000));
    const errors: string[] = [];
    const checker = startRotationChecker({
      files: () => [join(dir, 'bad.log'), good],
      maxBytes: 1024,
      keep: 1,
      onRotated: (f) => {
        if (f.endsWith('bad.log')) return;
        throw new Error(`reopen of ${f} failed`);
      },
      onError: (error) => errors.push(String(error)),
    });
    try {
      writeFileSync(join(dir, 'bad.log'), 'y'.repeat(5000));
      expect(checker.check()).toEqual([join(dir, 'bad.log'), good]);
      expect(errors).toEqual([`Error: reopen of ${good} failed`]);
    } finally {
      checker.stop();
    }
  });
});

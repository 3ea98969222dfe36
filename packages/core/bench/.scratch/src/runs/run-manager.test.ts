import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BusEvent, createEventBus, type EventBus } from '@webcasa/event-bus';
import type { RunContext } from '@webcasa/plugin-sdk';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type PanelDatabase } from '../db/database.js';
import {
  createRunManager,
  INTERRUPTED_ERROR,
  newRunId,
  type RunLimits,
  RunManager,
  type RunMessage,
} from './run-manager.js';

let dir: string;
let db: PanelDatabase;
let bus: EventBus;
let runs: RunManager;
const logger = pino({ level: 'silent' });

function manager(limits: Partial<RunLimits> = {}): RunManager {
  return createRunManager({ db: db.core, bus, logger, limits: { cancelGraceMs: 200, ...limits } });
}

/** Resolves when `predicate` holds; fails after `ms` (every wait is bounded). */
async function until(predicate: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A promise and the function that settles it, to hold a run at a known point. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

async function storedLines(id: string) {
  return db.core
    .selectFrom('run_logs')
    .select(['seq', 'level', 'line'])
    .where('run_id', '=', id)
    .orderBy('seq')
    .execute();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-runs-'));
  db = await openDatabase(dir);
  bus = createEventBus();
  runs = manager();
  await runs.init();
});

afterEach(async () => {
  await runs.shutdown();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RunManager', () => {
  it('makes url-safe random ids', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newRunId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^run_[a-z2-7]{16}$/);
  });

  it('is constructible with new, too', async () => {
    const other = new RunManager({ db: db.core, bus, logger });
    const { id } = await other.start('demo', 'x', async () => {});
    expect((await other.wait(id)).status).toBe('succeeded');
  });

  it('runs a job to success and stores its state', async () => {
    const { id } = await runs.start(
      'docker',
      'Pull nginx',
      async (run) => {
        run.log('pulling');
        run.progress(0.5, 'half');
      },
      { createdBy: 'admin' },
    );
    const final = await runs.wait(id);
    expect(final).toMatchObject({
      id,
      plugin: 'docker',
      title: 'Pull nginx',
      status: 'succeeded',
      progress: 1,
      message: 'half',
      error: null,
      createdBy: 'admin',
    });
    expect(final.endedAt).toBeGreaterThanOrEqual(final.startedAt!);
    expect(await runs.get(id)).toEqual(final);
    expect(await storedLines(id)).toEqual([{ seq: 1, level: 'info', line: 'pulling' }]);
  });

  it('stores the error of a failed run and logs it as its last line', async () => {
    const { id } = await runs.start('docker', 'Broken', async (run) => {
      run.log('about to fail');
      throw new Error('registry unreachable');
    });
    const final = await runs.wait(id);
    expect(final.status).toBe('failed');
    expect(final.error).toBe('registry unreachable');
    expect((await runs.get(id))?.error).toBe('registry unreachable');
    expect(await storedLines(id)).toEqual([
      { seq: 1, level: 'info', line: 'about to fail' },
      { seq: 2, level: 'error', line: 'failed: registry unreachable' },
    ]);
  });

  it('a synchronous throw is a failed run, not a rejected start', async () => {
    const { id } = await runs.start('docker', 'Sync', () => {
      throw new Error('sync boom');
    });
    expect(await runs.wait(id)).toMatchObject({ status: 'failed', error: 'sync boom' });
  });

  it('cancels through the signal and keeps the clean-up lines', async () => {
    const started = gate();
    const { id } = await runs.start('docker', 'Long', async (run) => {
      started.open();
      await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve()));
      run.log(`stopping: ${(run.signal.reason as Error).message}`);
    });
    await started.opened;
    expect(await runs.cancel(id, 'cancelled by alice')).toBe(true);
    const final = await runs.get(id);
    expect(final).toMatchObject({ status: 'cancelled', error: 'cancelled by alice' });
    expect(await storedLines(id)).toEqual([{ seq: 1, level: 'info', line: 'stopping: cancelled by alice' }]);
    expect(await runs.cancel(id)).toBe(false);
    expect(await runs.cancel('run_unknown')).toBe(false);
  });

  it('marks a run that ignores the signal cancelled anyway and drops its later lines', async () => {
    const late = gate();
    let ctx!: RunContext;
    const { id } = await runs.start('docker', 'Stubborn', async (run) => {
      ctx = run;
      await late.opened; // never looks at the signal
      run.log('too late');
      run.progress(0.9);
    });
    await until(() => ctx !== undefined);
    const t0 = Date.now();
    expect(await runs.cancel(id)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(ctx.signal.aborted).toBe(true);
    late.open();
    await new Promise((r) => setTimeout(r, 250));
    const final = await runs.get(id);
    expect(final).toMatchObject({ status: 'cancelled', progress: 0 });
    expect(await storedLines(id)).toEqual([]);
  });

  it('clamps progress to [0, 1] and stores it throttled, and always at the end', async () => {
    const step = gate();
    const { id } = await runs.start('docker', 'Progress', async (run) => {
      run.progress(1.7, 'over');
      await step.opened;
      run.progress(-3, 'under');
      run.progress(Number.NaN, 'ignored');
      for (let i = 0; i < 1000; i++) run.progress(0.25 + i / 10_000);
      await new Promise<void>((r) => run.signal.addEventListener('abort', () => r()));
    });
    await until(
      async () =>
        (await db.core.selectFrom('runs').select('progress').where('id', '=', id).executeTakeFirst())
          ?.progress === 1,
    );
    expect((await runs.get(id))?.message).toBe('over');
    step.open();
    // 1000 calls in one burst: the throttle stores the latest value once the burst is over.
    await until(async () => {
      const row = await db.core
        .selectFrom('runs')
        .select(['progress', 'message'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.progress === 0.25 + 999 / 10_000;
    });
    const live = await runs.get(id);
    expect(live).toMatchObject({ progress: 0.25 + 999 / 10_000, message: 'under' });
    await runs.cancel(id);
    expect(
      (await db.core.selectFrom('runs').select('progress').where('id', '=', id).executeTakeFirst())?.progress,
    ).toBe(0.25 + 999 / 10_000);
  });

  it('stores every line in order across many batches, and pushes each live', async () => {
    const n = 1234;
    const { id } = await runs.start('docker', 'Chatty', async (run) => {
      for (let i = 1; i <= n; i++) {
        run.log(`line ${i}`, i % 10 === 0 ? 'warn' : 'info');
        if (i % 300 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      run.log('two\nlines\n');
    });
    const seen: number[] = [];
    runs.subscribe(id, (m) => {
      if (m.type === 'log') seen.push(m.seq);
    });
    await runs.wait(id);
    const lines = await storedLines(id);
    expect(lines).toHaveLength(n + 2);
    lines.slice(0, n).forEach((l, i) => {
      expect(l.seq).toBe(i + 1);
      expect(l.line).toBe(`line ${i + 1}`);
      expect(l.level).toBe((i + 1) % 10 === 0 ? 'warn' : 'info');
    });
    expect(lines.slice(n).map((l) => l.line)).toEqual(['two', 'lines']);
    // Subscribed after the first synchronous burst: the rest arrive live, in order.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => n + 2 - seen.length + i + 1));
  });

  it('flushes a quiet run within the interval, before it ends', async () => {
    const hold = gate();
    const { id } = await runs.start('docker', 'Quiet', async (run) => {
      run.log('one line');
      await hold.opened;
    });
    await until(async () => (await storedLines(id)).length === 1, 2000);
    hold.open();
    await runs.wait(id);
  });

  it('caps lines per run and line length', async () => {
    runs = manager({ maxLines: 100, maxLineLength: 50 });
    const { id } = await runs.start('docker', 'Runaway', async (run) => {
      run.log('x'.repeat(10_000));
      for (let i = 0; i < 5000; i++) run.log(`spam ${i}`);
    });
    await runs.wait(id);
    const lines = await storedLines(id);
    expect(lines).toHaveLength(101);
    expect(lines[0]!.line).toBe(`${'x'.repeat(50)}… [line cut]`);
    expect(lines[99]!.line).toBe('spam 98');
    expect(lines[100]).toMatchObject({ seq: 101, level: 'warn' });
    expect(lines[100]!.line).toMatch(/^log truncated/);
  });

  it('init() after a crash marks runs left running as interrupted, and leaves ended ones alone', async () => {
    const { id: done } = await runs.start('docker', 'Finished', async () => {});
    await runs.wait(done);
    const now = Date.now();
    await db.core
      .insertInto('runs')
      .values([
        {
          id: 'run_crashedaaaaaaaaaa',
          plugin: 'docker',
          title: 'Was running',
          status: 'running',
          progress: 0.3,
          message: null,
          error: null,
          created_at: now,
          started_at: now,
          ended_at: null,
          created_by: null,
        },
        {
          id: 'run_queuedaaaaaaaaaaa',
          plugin: 'deploy',
          title: 'Was queued',
          status: 'queued',
          progress: 0,
          message: null,
          error: null,
          created_at: now,
          started_at: null,
          ended_at: null,
          created_by: null,
        },
      ])
      .execute();
    // A new process on the same file.
    await db.close();
    db = await openDatabase(dir);
    runs = manager();
    expect(await runs.init()).toBe(2);
    const crashed = await runs.get('run_crashedaaaaaaaaaa');
    expect(crashed).toMatchObject({ status: 'interrupted', error: INTERRUPTED_ERROR, progress: 0.3 });
    expect(crashed!.endedAt).toBeGreaterThanOrEqual(now);
    expect((await runs.get('run_queuedaaaaaaaaaaa'))?.status).toBe('interrupted');
    expect((await runs.get(done))?.status).toBe('succeeded');
    expect(await runs.wait('run_crashedaaaaaaaaaa')).toMatchObject({ status: 'interrupted' });
    expect(await runs.init()).toBe(0);
  });

  it('lists newest first with filters and keyset paging', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { id } = await runs.start(i % 2 ? 'deploy' : 'docker', `job ${i}`, async () => {
        if (i === 3) throw new Error('no');
      });
      ids.push(id);
      await runs.wait(id);
    }
    const all = await runs.list();
    expect(all.map((r) => r.id)).toEqual([...ids].reverse());
    expect((await runs.list({ plugin: 'deploy' })).map((r) => r.title)).toEqual(['job 5', 'job 3', 'job 1']);
    expect((await runs.list({ status: 'failed' })).map((r) => r.title)).toEqual(['job 3']);
    expect(await runs.list({ plugin: 'docker', status: 'failed' })).toEqual([]);

    const pages: string[][] = [];
    let before: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await runs.list({ limit: 3, before });
      if (page.length === 0) break;
      pages.push(page.map((r) => r.title));
      before = page[page.length - 1]!.id;
    }
    expect(pages).toEqual([['job 6', 'job 5', 'job 4'], ['job 3', 'job 2', 'job 1'], ['job 0']]);
    await expect(runs.list({ before: 'run_nope' })).rejects.toThrow(/before/);
  });

  it('pages correctly through runs created in the same millisecond', async () => {
    const now = Date.now();
    // Ids deliberately not in insertion order, so the id cannot be what orders them.
    const names = ['run_samec', 'run_samea', 'run_samee', 'run_sameb', 'run_samed'];
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: names[i]!,
      plugin: 'x',
      title: `t${i}`,
      status: 'succeeded' as const,
      progress: 1,
      message: null,
      error: null,
      created_at: now,
      started_at: now,
      ended_at: now,
      created_by: null,
    }));
    await db.core.insertInto('runs').values(rows).execute();
    const first = await runs.list({ limit: 2 });
    const second = await runs.list({ limit: 2, before: first[1]!.id });
    const third = await runs.list({ limit: 2, before: second[1]!.id });
    // Listed newest (last inserted) first.
    expect([...first, ...second, ...third].map((r) => r.id)).toEqual([...names].reverse());
  });

  it('exports the log as text and NDJSON, including lines not yet stored', async () => {
    const hold = gate();
    const { id } = await runs.start('docker', 'Export', async (run) => {
      run.log('first');
      run.log('careful', 'warn');
      await hold.opened;
    });
    await until(async () => (await runs.get(id))?.status === 'running');
    const ndjson = await runs.exportLog(id, 'ndjson');
    const parsed = ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parsed).toEqual([
      { seq: 1, time: expect.any(Number), level: 'info', line: 'first' },
      { seq: 2, time: expect.any(Number), level: 'warn', line: 'careful' },
    ]);
    hold.open();
    await runs.wait(id);
    const text = await runs.exportLog(id, 'text');
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}first\n\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}careful\n$/,
    );
    await expect(runs.exportLog('run_nope', 'text')).rejects.toThrow(/run_nope not found/);
  });

  it('emits run.started and run.finished with the plugin id as source', async () => {
    const events: BusEvent[] = [];
    bus.on('run.*', (e) => {
      events.push(e);
    });
    const { id } = await runs.start('backup', 'Nightly', async () => {});
    await runs.wait(id);
    expect(events.map((e) => [e.type, e.source])).toEqual([
      ['run.started', 'backup'],
      ['run.finished', 'backup'],
    ]);
    expect((events[0]!.payload as { run: { id: string; status: string } }).run).toMatchObject({
      id,
      status: 'running',
    });
    expect((events[1]!.payload as { run: { status: string } }).run.status).toBe('succeeded');
  });

  it('follow() delivers the backlog, the status, then live messages with no gap or repeat', async () => {
    const step = gate();
    const { id } = await runs.start('docker', 'Follow', async (run) => {
      for (let i = 1; i <= 450; i++) run.log(`early ${i}`); // some flushed, some still buffered
      await step.opened;
      run.progress(0.5, 'half');
      for (let i = 1; i <= 50; i++) run.log(`late ${i}`);
    });
    await until(async () => (await storedLines(id)).length >= 400);
    const got: RunMessage[] = [];
    const stop = await runs.follow(id, (m) => got.push(m));
    expect(stop).toBeTypeOf('function');
    step.open();
    await runs.wait(id);
    const logs = got.filter((m) => m.type === 'log');
    expect(logs.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const kinds = got.map((m) => m.type);
    expect(kinds.indexOf('status')).toBe(450);
    expect(kinds.indexOf('progress')).toBeGreaterThan(450);
    expect(got.at(-1)).toMatchObject({ type: 'status', run: { status: 'succeeded' } });
    expect(await runs.follow('run_nope', () => {})).toBeUndefined();
  });

  it('follow() of an ended run gives the stored lines and the final status', async () => {
    const { id } = await runs.start('docker', 'Ended', async (run) => run.log('only'));
    await runs.wait(id);
    const got: RunMessage[] = [];
    await runs.follow(id, (m) => got.push(m));
    expect(got).toEqual([
      { type: 'log', seq: 1, time: expect.any(Number), level: 'info', line: 'only' },
      { type: 'status', run: expect.objectContaining({ id, status: 'succeeded' }) },
    ]);
  });

  it('forPlugin() sees and cancels only its own runs', async () => {
    const docker = runs.forPlugin('docker');
    const files = runs.forPlugin('files');
    const hold = gate();
    const { id } = await docker.start('Mine', async (run) => {
      await Promise.race([hold.opened, new Promise((r) => run.signal.addEventListener('abort', r))]);
    });
    expect(await files.get(id)).toBeUndefined();
    expect(await files.cancel(id)).toBe(false);
    await expect(files.wait(id)).rejects.toThrow(/files has no run/);
    expect(await files.list()).toEqual([]);
    expect((await docker.list()).map((r) => r.id)).toEqual([id]);
    expect(await docker.cancel(id)).toBe(true);
    expect((await docker.wait(id)).status).toBe('cancelled');
    hold.open();
  });

  it('cancelAllFor() and shutdown() abort the runs they concern', async () => {
    const signals: Record<string, AbortSignal> = {};
    const start = (plugin: string) =>
      runs.start(plugin, plugin, async (run) => {
        signals[plugin] = run.signal;
        await new Promise((r) => run.signal.addEventListener('abort', r));
      });
    const a = await start('docker');
    const b = await start('files');
    await until(() => Object.keys(signals).length === 2);
    await runs.cancelAllFor('docker');
    expect(signals.docker!.aborted).toBe(true);
    expect(signals.files!.aborted).toBe(false);
    expect((await runs.get(a.id))?.error).toMatch(/plugin docker stopped/);
    expect((await runs.get(b.id))?.status).toBe('running');
    await runs.shutdown();
    expect(await runs.get(b.id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled: the panel shut down',
    });
    await expect(runs.start('docker', 'after', async () => {})).rejects.toThrow(/shutting down/);
  });

  it('rejects a run without a title', async () => {
    await expect(runs.start('docker', '  ', async () => {})).rejects.toThrow(/title/);
  });
});

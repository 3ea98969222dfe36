const HOUR = 3_600_000;
/** A tick this close to the due time counts as due (timers may fire a little early or late). */
const SLACK = 5_000;

/** What the schedule needs from the plugin context (`ctx.schedule.every`). */
export type Every = (ms: number, fn: () => void | Promise<void>) => () => void;

/**
 * The automatic sync of every store, every `hours` hours. `plan` replaces the timer when the
 * interval changes (the plugin calls it from `ctx.config.watch`), so a new setting applies
 * without a restart; a sync still running is not started twice.
 */
export class SyncSchedule {
  #cancel: (() => void) | null = null;
  #hours: number | null = null;
  #nextAt: number | null = null;
  #busy = false;

  constructor(
    private readonly every: Every,
    private readonly sync: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The interval in hours and when the next automatic sync is due (null before `plan`). */
  get state(): { intervalHours: number | null; nextSyncAt: number | null } {
    return { intervalHours: this.#hours, nextSyncAt: this.#nextAt };
  }

  plan(hours: number): void {
    if (!Number.isFinite(hours) || hours <= 0 || hours === this.#hours) return;
    this.#cancel?.();
    const ms = hours * HOUR;
    this.#hours = hours;
    this.#nextAt = this.now() + ms;
    // Timers longer than ~24.8 days overflow (Node then fires them every millisecond), so the
    // timer ticks at most hourly and the sync runs when it is due.
    this.#cancel = this.every(Math.min(ms, HOUR), async () => {
      if (this.#nextAt === null || this.now() + SLACK < this.#nextAt) return;
      this.#nextAt = this.now() + ms;
      if (this.#busy) return;
      this.#busy = true;
      try {
        await this.sync();
      } finally {
        this.#busy = false;
      }
    });
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
    this.#nextAt = null;
  }
}

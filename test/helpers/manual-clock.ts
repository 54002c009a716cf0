import type { CancelTimer, Timers } from '../../src/timers.js';

interface Pending {
  at: number;
  order: number;
  callback: () => unknown;
}

/**
 * A clock and timers that move only when a test says so: `advance(ms)` runs every timer that falls
 * due on the way, in order, and waits for the work each one returns (a promise) before the next,
 * so a test sees a deadline's effect without sleeping and without polling.
 */
export class ManualClock implements Timers {
  private time: number;
  private order = 0;
  private pending: Pending[] = [];

  constructor(start = Date.parse('2026-01-05T08:00:00Z')) {
    this.time = start;
  }

  readonly now = (): Date => new Date(this.time);

  after(ms: number, callback: () => unknown): CancelTimer {
    const entry = { at: this.time + Math.max(0, ms), order: this.order++, callback };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((other) => other !== entry);
    };
  }

  /** Timers set and not yet run or cancelled. */
  get pendingTimers(): number {
    return this.pending.length;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const next = this.pending.filter((entry) => entry.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next) break;
      this.pending = this.pending.filter((entry) => entry !== next);
      this.time = next.at;
      await next.callback();
    }
    this.time = end;
    await settle();
  }
}

/** Lets I/O callbacks and promise reactions that are ready run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

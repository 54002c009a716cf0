/**
 * Timers as a dependency: deadlines and quiet periods are decided by code that a test can drive
 * with a manual clock (test/helpers/manual-clock.ts) instead of by waiting for them.
 */
export type CancelTimer = () => void;

export interface Timers {
  /**
   * Calls back once after ms; the returned function cancels it (harmless after it ran). The
   * callback may return the promise of the work it starts: a manual clock waits for it.
   */
  after(ms: number, callback: () => unknown): CancelTimer;
}

export const systemTimers: Timers = {
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

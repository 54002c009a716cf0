import type { CancelTimer, Timers } from '../timers.js';

/**
 * Fires once after ms without activity: touch() on every byte read or written, pause() while the
 * wait is on our side (a store being completed, a disk catching up), stop() at the end.
 */
export class IdleDeadline {
  private cancel: CancelTimer | undefined;
  private stopped = false;

  constructor(
    private readonly timers: Timers,
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.touch();
  }

  touch(): void {
    if (this.stopped) return;
    this.cancel?.();
    this.cancel = this.timers.after(this.ms, () => {
      this.cancel = undefined;
      if (!this.stopped) this.onIdle();
    });
  }

  pause(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  stop(): void {
    this.pause();
    this.stopped = true;
  }
}

import type { Logger } from '../log.js';

/** What was started, stopped in reverse order; a failing stop is logged and the rest still run. */
export class StopList {
  private readonly stops: (() => Promise<unknown>)[] = [];

  constructor(private readonly log: Logger) {}

  add(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.log.error({ err: error }, 'error while stopping');
      }
    }
  }
}

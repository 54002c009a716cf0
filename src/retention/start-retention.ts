import type { Timers } from '../timers.js';
import { cleanUp, type RetentionDeps, type RetentionSettings } from './clean-up.js';

/** Runs a retention pass now and every intervalSeconds after the last one ended; returns the stop. */
export function startRetention(deps: RetentionDeps, settings: RetentionSettings & { intervalSeconds: number }, timers: Timers): { stop(): Promise<void> } {
  let cancel: (() => void) | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const pass = () => {
    running = cleanUp(deps, settings)
      .catch((error: unknown) => deps.log.error({ err: error }, 'retention pass failed; will try again'))
      .finally(() => {
        if (!stopped) cancel = timers.after(settings.intervalSeconds * 1000, pass);
      });
  };
  pass();
  return {
    async stop() {
      stopped = true;
      cancel?.();
      await running;
    },
  };
}

/** Who holds a running job or a sending delivery, and how long its silence may last. */
export interface Holder {
  /** This process's worker id, written on what it holds (e.g. host/pid/random). */
  readonly workerId: string;
  /** How often a holder says it is alive. */
  readonly heartbeatMs: number;
  /** A holder silent this long has died: what it held may be taken by another. */
  readonly staleMs: number;
}

/** Calls `beat` every `everyMs` until stopped; a failing beat is reported and the next one tried. */
export function startHeartbeat(beat: () => Promise<unknown>, everyMs: number, onError: (error: unknown) => void): { stop(): void } {
  const timer = setInterval(() => {
    beat().catch(onError);
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

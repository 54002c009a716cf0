import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one logger made at start-up and handed to every stage. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'ctprep' } });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * The few log calls the protocol layer makes. A pino logger fits this shape as it is; the
 * composition root passes one in. Without one, warnings and errors go to stderr as one line each.
 */
export interface DicomLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export function stderrDicomLogger(): DicomLogger {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => {
    process.stderr.write(`${JSON.stringify({ level, msg: message, ...fields })}\n`);
  };
  const ignore = () => undefined;
  return { debug: ignore, info: ignore, warn: write('warn'), error: write('error') };
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { err: error.message, ...(code ? { code } : {}) };
  }
  return { err: String(error) };
}

/** A logger that adds `fields` to every line. */
export function withFields(logger: DicomLogger, fields: Record<string, unknown>): DicomLogger {
  return {
    debug: (more, message) => logger.debug({ ...fields, ...more }, message),
    info: (more, message) => logger.info({ ...fields, ...more }, message),
    warn: (more, message) => logger.warn({ ...fields, ...more }, message),
    error: (more, message) => logger.error({ ...fields, ...more }, message),
  };
}

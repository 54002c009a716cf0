/**
 * One error contract for the whole node: every error we throw on purpose says whether trying the
 * same work again can help. The job queue retries only retryable errors; a non-retryable error
 * fails the job at once with its message as the reason shown to the user.
 */
export class NodeError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
  }
}

/** The input is wrong (malformed file, missing tag, series outside what a model accepts). */
export class InvalidInputError extends NodeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: false, cause });
  }
}

/** Configuration is wrong; the message names the key path. */
export class ConfigError extends NodeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: false, cause });
  }
}

/** Something outside us is unavailable for now (PACS down, disk full, database gone). */
export class UnavailableError extends NodeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: true, cause });
  }
}

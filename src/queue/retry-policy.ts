import { NodeError } from '../errors.js';

/** Where a queued job or delivery is in pg-boss's retries. */
export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

export interface FailureVerdict {
  /** Try again later (the queue's backoff), or stop here. */
  retry: boolean;
  /** For people: the error's message, or, for a bug, that it is one. */
  message: string;
  kind: 'input' | 'unavailable' | 'bug';
}

/** Errors of the system around us (network, disk, database), named by Node or by PostgreSQL. */
const ENVIRONMENT_CODE = /^(E[A-Z]+|08\d{3}|57P0\d|53\d{3}|40001|40P01)$/;

/**
 * The one retry policy of jobs and deliveries. Errors we raise say whether trying again can help
 * (errors.ts); a system error (ECONNRESET, ENOSPC, a lost database connection) may pass; anything
 * else (a TypeError, say) is a bug: it fails at once, instead of being retried as if a PACS were
 * down, and says so.
 */
export function judgeFailure(error: unknown, attempt: Attempt): FailureVerdict {
  const message = error instanceof Error ? error.message : String(error);
  let kind: FailureVerdict['kind'];
  if (error instanceof NodeError) kind = error.retryable ? 'unavailable' : 'input';
  else if (ENVIRONMENT_CODE.test(String((error as { code?: unknown } | undefined)?.code ?? ''))) kind = 'unavailable';
  else kind = 'bug';
  const retry = kind === 'unavailable' && attempt.retryCount < attempt.retryLimit;
  return { retry, kind, message: kind === 'bug' ? `internal error (a bug, not retried; see the node log): ${message}` : message };
}

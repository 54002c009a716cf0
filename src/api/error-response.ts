import { ConfigError, InvalidInputError, UnavailableError } from '../errors.js';
import { HttpError } from './http-error.js';

/** The one error shape of the API. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** True when the error was not expected: it is logged, and its message is not shown. */
  unexpected: boolean;
}

/** Errors body-parser attaches to the request (malformed JSON, body too large). */
interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError & Error {
  return error instanceof Error && typeof (error as Partial<BodyParserError>).type === 'string' && typeof (error as Partial<BodyParserError>).status === 'number';
}

function response(status: number, code: string, message: string, unexpected = false): ErrorResponse {
  return { status, body: { error: { code, message } }, unexpected };
}

/**
 * Maps a thrown error to a status and body. Validation errors (InvalidInputError, ConfigError from
 * rule checks) keep their message, which names each key path; anything unexpected becomes a 500
 * whose message says nothing of the internals.
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) return response(error.status, error.code, error.message);
  if (error instanceof InvalidInputError || error instanceof ConfigError) return response(400, 'invalid_input', error.message);
  if (error instanceof UnavailableError) return response(503, 'unavailable', error.message);
  if (isBodyParserError(error)) {
    if (error.type === 'entity.parse.failed') return response(400, 'invalid_json', `request body is not valid JSON: ${error.message}`);
    if (error.type === 'entity.too.large') return response(413, 'body_too_large', 'request body is too large');
    if (error.status >= 400 && error.status < 500) return response(error.status, 'invalid_request', error.message);
  }
  return response(500, 'internal', 'internal error; see the node log', true);
}

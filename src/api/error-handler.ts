import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { errorResponse } from './error-response.js';
import { notFound } from './http-error.js';

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route ${req.method} ${req.path}`));
};

/** Answers every error in the one JSON shape; unexpected ones are logged with their stack. */
export function errorHandler(log: Logger | undefined): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, body, unexpected } = errorResponse(error);
    if (unexpected) {
      if (log) log.error({ err: error, method: req.method, path: req.path }, 'API request failed');
      else console.error(`API ${req.method} ${req.path} failed:`, error);
    }
    res.status(status).json(body);
  };
}

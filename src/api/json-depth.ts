import type { RequestHandler } from 'express';
import { badRequest } from './http-error.js';

/** A rule is a few levels deep; far deeper bodies would only exhaust the stack of what reads them. */
const MAX_JSON_DEPTH = 32;

function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Refuses a JSON body nested deeper than MAX_JSON_DEPTH with a 400 (checked without recursion). */
export const rejectDeepJson: RequestHandler = (req, _res, next) => {
  if (req.body !== undefined && depthOf(req.body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return next(badRequest(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`));
  }
  next();
};

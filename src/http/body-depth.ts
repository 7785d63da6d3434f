/**
 * JSON.parse takes any nesting, but the schemas (and anything else that walks the body) recurse: a body
 * nested thousands deep would exhaust the stack (a 500). Nothing the API takes nests more than
 * MAX_BODY_DEPTH, so deeper bodies are refused up front, counting without recursion.
 */
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.ts';

export const MAX_BODY_DEPTH = 64;

export function depthOf(value: unknown, limit = MAX_BODY_DEPTH): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return max;
}

export function bodyDepthGuard(limit = MAX_BODY_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (depthOf(req.body, limit) > limit)
      return next(
        new HttpProblem(422, `the request body nests deeper than ${limit} levels`, {
          errors: [{ pointer: '/', detail: `nested more than ${limit} deep` }],
          hint: 'flatten the request; recipe flows nest at most 16 deep',
        }),
      );
    next();
  };
}

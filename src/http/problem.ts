/**
 * Errors as application/problem+json (RFC 9457). Client mistakes are 4xx naming the field;
 * a teacher that cannot serve is 503; only our own bugs are 500.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import path from 'node:path';
import { isDistilleryError, type ErrorCode } from '../core/errors.ts';
import { isCorruption, recoveryHint } from '../store/index.ts';

export interface FieldError {
  /** JSON pointer into the request body, e.g. "/inputs/3" */
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  hint?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_INPUT: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_OUTPUT: 422,
  MODEL_LOAD_FAILED: 503,
  DEVICE_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  OVERLOADED: 429,
  CANCELLED: 503,
  STORE_DAMAGED: 503,
  INTERNAL: 500,
};

const TITLES: Record<number, string> = {
  400: 'Malformed request',
  401: 'Unauthorized',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Invalid request',
  429: 'Too many requests',
  500: 'Internal server error',
  501: 'Not implemented',
  503: 'Service unavailable',
};

export class HttpProblem extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(status: number, detail: string, extra: Partial<Problem> = {}, headers: Record<string, string> = {}) {
    super(detail);
    this.problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
    this.headers = headers;
  }
}

export function pointerOf(path: ReadonlyArray<PropertyKey>): string {
  return '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

type Issue = z.core.$ZodIssue;

/** How far into the value an issue got; through unions, as far as its best branch got. */
function reach(issue: Issue): number {
  const inner =
    issue.code === 'invalid_union' ? Math.max(0, ...issue.errors.map((b) => Math.max(0, ...b.map(reach)))) : 0;
  return issue.path.length + inner;
}

/**
 * "Invalid input" on a union says nothing; report the issues of the branch that got furthest into
 * the value (fewest issues on a tie), with paths made absolute.
 */
function explain(issue: Issue, prefix: PropertyKey[] = []): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const score = (b: Issue[]): number => Math.max(0, ...b.map(reach)) * 1000 - b.length;
    const best = issue.errors.reduce((a, b) => (score(b) > score(a) ? b : a));
    if (Math.max(0, ...best.map(reach)) > 0) return best.flatMap((i) => explain(i, path));
  }
  return [{ ...issue, path } as Issue];
}

export function fromZod(error: z.ZodError): HttpProblem {
  const errors = error.issues
    .flatMap((i) => explain(i))
    .map((i) => ({ pointer: pointerOf(i.path), detail: i.message }));
  const first = errors[0]!;
  const field = first.pointer === '/' ? 'the request body' : `field ${first.pointer}`;
  return new HttpProblem(422, `${field}: ${first.detail}`, { errors });
}

export function sendProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  const requestId = res.locals.requestId as string | undefined;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...problem, instance: problem.instance ?? res.req.originalUrl, requestId }));
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}

export interface StoreDamage {
  /** the store's file, named in the recovery hint */
  db: string;
  /** told when a request met corruption (readiness fails from then on) */
  onDamage?(reason: string): void;
}

export function problemMiddleware(retryAfterSeconds: number, store?: StoreDamage): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (store && isCorruption(err)) {
      res.locals.log?.error({ err }, 'the store is damaged');
      store.onDamage?.(err instanceof Error ? err.message : String(err));
      return sendProblem(
        res,
        {
          type: 'about:blank',
          title: TITLES[503]!,
          status: 503,
          detail: 'the store (SQLite file) is damaged: this request read a page that is not valid',
          code: 'STORE_DAMAGED',
          hint: recoveryHint(path.basename(store.db)),
        },
        { 'Retry-After': String(retryAfterSeconds) },
      );
    }
    if (err instanceof HttpProblem) return sendProblem(res, err.problem, err.headers);
    if (isDistilleryError(err)) {
      const status = STATUS_BY_CODE[err.code];
      if (status >= 500 && status !== 503) res.locals.log?.error({ err }, 'request failed');
      const headers: Record<string, string> = {};
      if (status === 429 || status === 503) headers['Retry-After'] = String(retryAfterSeconds);
      return sendProblem(
        res,
        {
          type: 'about:blank',
          title: TITLES[status] ?? 'Error',
          status,
          detail: status === 500 ? 'internal error' : err.message,
          code: err.code,
          ...(err.hint ? { hint: err.hint } : {}),
          ...(err.details ?? {}),
        },
        headers,
      );
    }
    // A path segment that is not valid percent-encoding ("%ff%fe", "%E0%A4%A") fails to decode.
    if (err instanceof URIError)
      return sendProblem(
        res,
        new HttpProblem(400, 'the URL is not valid percent-encoded UTF-8', {
          hint: 'encode ids with encodeURIComponent',
        }).problem,
      );
    // A body that says Content-Encoding: gzip, deflate or br but is not: body-parser passes zlib's error on.
    const stack = (err as { stack?: unknown } | null)?.stack;
    if (typeof stack === 'string' && /zlibOnError/.test(stack))
      return sendProblem(
        res,
        new HttpProblem(400, 'the request body does not match its Content-Encoding', {
          hint: 'send the body uncompressed, or compressed as its Content-Encoding header says',
        }).problem,
      );
    const bp = err as BodyParserError;
    if (bp && typeof bp.type === 'string' && typeof bp.status === 'number' && bp.status < 500) {
      // body-parser errors: malformed JSON, over the limit, wrong charset...
      if (bp.type === 'entity.parse.failed')
        return sendProblem(
          res,
          new HttpProblem(400, `the request body is not valid JSON: ${bp.message}`, {
            errors: [{ pointer: '/', detail: 'malformed JSON' }],
          }).problem,
        );
      if (bp.type === 'entity.too.large')
        return sendProblem(
          res,
          new HttpProblem(413, `the request body is over the ${bp.limit} byte limit`, {
            hint: 'send fewer or shorter texts per request',
          }).problem,
        );
      return sendProblem(res, new HttpProblem(bp.status, bp.message ?? 'bad request').problem);
    }
    // Any other error that says it is the client's (http-errors' `expose`) keeps its 4xx status.
    const status = (err as { status?: unknown; expose?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose === true)
      return sendProblem(res, new HttpProblem(status, (err as Error).message || 'bad request').problem);
    res.locals.log?.error({ err }, 'unhandled error');
    return sendProblem(res, new HttpProblem(500, 'internal error').problem);
  };
}

/**
 * Every response carries x-request-id (the caller's, when it is a sane token, else a fresh UUID);
 * every request is logged once as structured JSON with that id, and counted in the metrics.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ServiceMetrics } from './metrics.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `staticPaths`: route paths without parameters. A request that fails before routing (malformed JSON,
 * body too large) is still labelled with its route when its path is one of them.
 */
export function requestContext(
  logger: Logger,
  metrics: ServiceMetrics,
  staticPaths: ReadonlySet<string> = new Set(),
): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    const start = process.hrtime.bigint();
    res.locals.requestId = id;
    res.locals.log = logger.child({ requestId: id });
    res.setHeader('x-request-id', id);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // The matched route pattern, not the raw URL, so ids and query strings do not explode the label set.
      const route = req.route?.path
        ? `${req.baseUrl}${String(req.route.path)}`
        : staticPaths.has(req.path)
          ? req.path
          : 'unmatched';
      metrics.recordRequest(route, req.method, res.statusCode, seconds);
      res.locals.log.info(
        { method: req.method, url: req.originalUrl, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      );
    });
    next();
  };
}

/**
 * Bearer API keys. With no keys configured the server only listens on loopback (see config.ts), so
 * this middleware is skipped. Health probes stay open so orchestrators need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.ts';

const OPEN_PATHS = new Set(['/healthz', '/readyz']);
/** TRL's client probes `GET /health/` with a bare requests.get, never with its session's credentials */
const TRL_HEALTH = /^(\/trl\/[^/]+)?\/health\/?$/;
// Comparing fixed-size digests keeps the comparison constant-time whatever the key lengths.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * `publicFiles`: GET paths of the dashboard's static files (HTML, scripts, styles). They hold no data,
 * and the page must load to ask for the key it then sends with every API call.
 */
export function bearerAuth(keys: readonly string[], publicFiles: ReadonlySet<string> = new Set()): RequestHandler {
  const digests = keys.map(digest);
  return (req, _res, next) => {
    if (OPEN_PATHS.has(req.path) || (req.method === 'GET' && TRL_HEALTH.test(req.path))) return next();
    if ((req.method === 'GET' || req.method === 'HEAD') && publicFiles.has(req.path)) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const challenge = { 'WWW-Authenticate': 'Bearer realm="distillery"' };
    if (!match)
      return next(
        new HttpProblem(401, 'missing bearer token', { hint: 'send "Authorization: Bearer <api key>"' }, challenge),
      );
    const given = digest(match[1]!);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok)
      return next(
        new HttpProblem(
          401,
          'unknown API key',
          {},
          { 'WWW-Authenticate': 'Bearer realm="distillery", error="invalid_token"' },
        ),
      );
    next();
  };
}

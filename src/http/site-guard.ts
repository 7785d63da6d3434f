/**
 * Keeps other web sites from driving the server through a visitor's browser.
 *
 * - A request that changes something must say `Content-Type: application/json`: browsers send a
 *   cross-site "simple" request (form, no-cors fetch) only as text/plain, form-urlencoded or multipart,
 *   so those reach no route (415). JSON needs a CORS preflight, which this server never approves.
 * - A browser request from another origin (its `Origin` header, or `Sec-Fetch-Site: cross-site`) is
 *   refused (403): CORS is off.
 * - Without API keys the server answers only `Host` values naming loopback (with its own port), so a
 *   DNS-rebinding page whose name resolves to 127.0.0.1 still sends its own name and is refused (403).
 */
import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../config.ts';
import { HttpProblem } from './problem.ts';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/json\s*(;|$)/i;

export interface SiteGuardOptions {
  /** no API keys: the Host check applies */
  keyless: boolean;
  /** the configured listen host, also accepted as a Host name (for allowInsecureRemote) */
  host: string;
}

/** "127.0.0.1:8080" -> ["127.0.0.1", "8080"], "[::1]:80" -> ["::1", "80"] */
function splitHost(value: string): [string, string | undefined] {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(value);
  return m ? [m[1]!.replace(/^\[|\]$/g, '').toLowerCase(), m[2]] : ['', undefined];
}

const hasBody = (h: Record<string, string | string[] | undefined>): boolean =>
  h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');

export function siteGuard(opts: SiteGuardOptions): RequestHandler {
  const configured = opts.host.replace(/^\[|\]$/g, '').toLowerCase();
  return (req, _res, next) => {
    const host = req.headers.host ?? '';
    if (opts.keyless) {
      const [name, port] = splitHost(host);
      const ownPort = String(req.socket.localPort);
      const nameOk = isLoopbackHost(name) || name === configured;
      if (!nameOk || (port !== undefined && port !== ownPort) || (port === undefined && ownPort !== '80'))
        return next(
          new HttpProblem(403, `Host "${host.slice(0, 100)}" is not this server`, {
            hint: `without API keys the server only answers http://127.0.0.1:${ownPort}, http://localhost:${ownPort} or http://[::1]:${ownPort}`,
          }),
        );
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if ((origin !== undefined && origin !== `http://${host}`) || site === 'cross-site' || site === 'same-site')
      return next(
        new HttpProblem(403, 'requests from other web sites are refused', {
          hint: 'call the API from the dashboard, a script or the CLI; CORS is off',
        }),
      );
    if (WRITES.has(req.method) && (req.method !== 'DELETE' || hasBody(req.headers))) {
      const type = req.headers['content-type'] ?? '';
      if (!JSON_TYPE.test(type))
        return next(
          new HttpProblem(
            415,
            `${req.method} takes application/json, not "${type.slice(0, 100) || 'no content type'}"`,
            {
              hint: 'send the body as JSON with "Content-Type: application/json"',
            },
          ),
        );
    }
    next();
  };
}

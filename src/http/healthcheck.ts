/**
 * The container's HEALTHCHECK: GET /healthz on the host and port the service itself would use (config file
 * named by DISTILLERY_CONFIG, then DISTILLERY_* variables, then defaults), so a port set only in the config
 * file is honoured. Exit 0 on a 2xx answer, 1 otherwise.
 *
 *   node --import tsx src/http/healthcheck.ts
 */
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from '../config.ts';

/** Where /healthz answers: a wildcard bind address is reached through loopback. */
export function healthzUrl(config: Pick<Config, 'host' | 'port'>): string {
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`;
}

export async function healthy(url: string, timeoutMs = 4000): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).ok;
  } catch {
    return false;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let url: string;
  try {
    url = healthzUrl(loadConfig());
  } catch (err) {
    process.stderr.write(`healthcheck: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.exitCode = (await healthy(url)) ? 0 : 1;
}

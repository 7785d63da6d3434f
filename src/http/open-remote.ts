/** The rule for where the service may listen without API keys. */
import { isLoopbackHost, type Config } from '../config.ts';
import { DistilleryError } from '../core/errors.ts';

/**
 * The service may listen on a non-loopback host only with API keys (or an explicit opt-out). Checked when
 * the service starts, not when the config loads: `worker`, `run` and the other commands listen nowhere, and
 * share one config (one image's DISTILLERY_HOST=0.0.0.0) with the service.
 */
export function refuseOpenRemote(cfg: Pick<Config, 'host' | 'apiKeys' | 'allowInsecureRemote'>): void {
  if (!isLoopbackHost(cfg.host) && cfg.apiKeys.length === 0 && !cfg.allowInsecureRemote) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      `refusing to listen on non-loopback host ${cfg.host} without API keys`,
      {
        hint: 'set DISTILLERY_API_KEYS (comma-separated bearer tokens), or set allowInsecureRemote: true in the config file (or DISTILLERY_ALLOW_INSECURE_REMOTE=1) if an open service is really intended',
      },
    );
  }
}

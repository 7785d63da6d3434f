/**
 * GET /healthz: the process answers. GET /readyz: it can do its job (database open, default teacher
 * loaded); 503 with the failing check otherwise, so a load balancer keeps traffic away.
 */
import { Router } from 'express';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export type Readiness = () => Promise<Record<string, ReadinessCheck>>;

export function healthRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await readiness();
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}

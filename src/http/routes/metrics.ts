/** GET /metrics in the Prometheus text exposition format. */
import { Router } from 'express';
import type { ServiceMetrics } from '../metrics.ts';

export function metricsRoute(metrics: ServiceMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.renderAll());
  });
  return router;
}

/** GET /openapi.json, generated from the zod schemas that validate the requests. */
import { Router } from 'express';
import { buildOpenApi, type RouteDoc } from '../openapi.ts';
import type { Schemas } from '../schemas.ts';

export function openApiRoute(schemas: Schemas, routes: RouteDoc[], version: string): Router {
  const doc = buildOpenApi(schemas, routes, version);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  return router;
}

/** GET /v1/teachers: the configured registry (names, fingerprints once loaded, devices, outputs). */
import { Router } from 'express';

export interface TeacherCatalog {
  list(): unknown[];
}

export function teachersRoute(catalog: TeacherCatalog, defaultTeacher: string): Router {
  const router = Router();
  router.get('/v1/teachers', (_req, res) => {
    res.json({ default: defaultTeacher, teachers: catalog.list() });
  });
  return router;
}

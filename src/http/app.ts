/**
 * The express application, without listening: request ids and logs, auth, JSON body limits, routes,
 * problem+json errors. Everything it talks to is injected, so tests and the CLI wire real parts alike.
 */
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SoftLabeler } from '../labels/index.ts';
import { bearerAuth } from './auth.ts';
import { bodyDepthGuard } from './body-depth.ts';
import { uiFilePaths } from './dashboard/dashboard-routes.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { RouteDoc } from './openapi.ts';
import { HttpProblem, problemMiddleware } from './problem.ts';
import { requestContext } from './request-context.ts';
import { siteGuard } from './site-guard.ts';
import { healthRoutes, type Readiness } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { openApiRoute } from './routes/openapi.ts';
import { softLabelsRoute } from './routes/soft-labels.ts';
import { teachersRoute, type TeacherCatalog } from './routes/teachers.ts';
import { buildSchemas, type Schemas } from './schemas.ts';

/** A group of routes another module contributes (datasets, jobs, augmentation), with its docs. */
export interface RouteModule {
  router: (schemas: Schemas) => Router;
  docs: (schemas: Schemas) => RouteDoc[];
}

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  labeler: SoftLabeler;
  teachers: TeacherCatalog & { names(): string[] };
  readiness: Readiness;
  modules?: RouteModule[];
  version?: string;
  /** a route that meets a damaged store answers 503 saying so, and tells this */
  onStoreDamage?(reason: string): void;
}

function coreDocs(s: Schemas): RouteDoc[] {
  return [
    {
      method: 'post',
      path: '/v1/soft-labels',
      summary: 'Soft labels for texts or text pairs from a configured teacher (cache-aware, micro-batched)',
      body: s.softLabelsRequest,
      response: s.softLabelsResponse,
      errors: [400, 401, 404, 413, 422, 429, 503],
    },
    {
      method: 'get',
      path: '/v1/teachers',
      summary: 'Configured teachers: state, fingerprint, device, available outputs',
      errors: [401],
    },
    { method: 'get', path: '/healthz', summary: 'Liveness', errors: [] },
    { method: 'get', path: '/readyz', summary: 'Readiness: database open and default teacher loaded', errors: [503] },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics', produces: 'text/plain', errors: [401] },
    { method: 'get', path: '/openapi.json', summary: 'This document', errors: [401] },
  ];
}

export function createApp(deps: AppDeps): Express {
  const { config } = deps;
  const schemas = buildSchemas(config.limits);
  const modules = deps.modules ?? [];
  const names = deps.teachers.names();
  const defaultTeacher = config.defaultTeacher ?? names[0] ?? 'demo';

  const docs = [...coreDocs(schemas), ...modules.flatMap((m) => m.docs(schemas))];
  const staticPaths = new Set(docs.map((d) => d.path).filter((p) => !p.includes('{')));

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext(deps.logger, deps.metrics, staticPaths));
  app.use(siteGuard({ keyless: config.apiKeys.length === 0, host: config.host }));
  if (config.apiKeys.length > 0) app.use(bearerAuth(config.apiKeys, uiFilePaths()));
  // siteGuard let only application/json through to the routes that take a body.
  app.use(express.json({ limit: config.limits.bodyLimit, type: 'application/json', strict: false }));
  app.use(bodyDepthGuard());

  app.use(healthRoutes(deps.readiness));
  app.use(metricsRoute(deps.metrics));
  app.use(teachersRoute(deps.teachers, defaultTeacher));
  app.use(softLabelsRoute({ schemas, labeler: deps.labeler, teacherNames: names, defaultTeacher }));
  for (const m of modules) app.use(m.router(schemas));
  app.use(openApiRoute(schemas, docs, deps.version ?? '0.1.0'));

  app.use((req, _res, next) =>
    next(new HttpProblem(404, `no route for ${req.method} ${req.path}`, { hint: 'see GET /openapi.json' })),
  );
  app.use(
    problemMiddleware(config.limits.retryAfterSeconds, {
      db: config.db,
      ...(deps.onStoreDamage ? { onDamage: deps.onStoreDamage } : {}),
    }),
  );
  return app;
}

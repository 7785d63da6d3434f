/**
 * The dashboard: static pages at `/` (no CDN, plain ES modules) and the small JSON routes they read —
 * corpora, datasets with their report, evaluation and attention maps, and jobs started from the form.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { BUILTIN_RECIPES } from '../../augment/index.ts';
import { DistilleryError } from '../../core/errors.ts';
import { buildDatasetReport } from '../../report/dataset-report.ts';
import { exampleAttention } from '../../report/example-attention.ts';
import { evaluateTeacher } from '../../report/teacher-evaluation.ts';
import { withTokenLabels, type TokenLabeler } from '../../report/token-labels.ts';
import type { Store } from '../../store/index.ts';
import type { RouteModule } from '../app.ts';
import type { RouteDoc } from '../openapi.ts';
import type { CorpusCatalog } from './corpus-catalog.ts';
import type { JobBoard } from './job-board.ts';
import { modelFreeRecipes } from './recipe-augmenter.ts';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../ui');

export interface DashboardDeps {
  store: Store;
  jobs: JobBoard;
  corpora: CorpusCatalog;
  /** token strings for attention axes; positions are shown without it */
  tokenLabels?: TokenLabeler;
}

const uploadSchema = z.strictObject({ name: z.string().min(1), content: z.string() });
const intParam = (v: unknown, fallback: number, max: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new DistilleryError('INVALID_INPUT', `expected an integer 0-${max}, got "${String(v)}"`);
  return n;
};
const teacherQuery = (q: unknown): string | undefined => (typeof q === 'string' && q !== '' ? q : undefined);

/** POST /v1/jobs takes the job schema with `corpus` naming a catalog entry instead of a path. */
function resolveCorpus(body: unknown, corpora: CorpusCatalog): { job: unknown; label: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DistilleryError('INVALID_INPUT', 'expected a job object');
  const b = body as Record<string, unknown>;
  const c = b.corpus;
  const ref = typeof c === 'string' ? { id: c } : c && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
  if (!ref || typeof ref.id !== 'string') throw new DistilleryError('INVALID_INPUT', 'corpus: expected a corpus id from GET /v1/corpora', { hint: 'e.g. "shared/sst2/dev.jsonl"' });
  if ('path' in ref) throw new DistilleryError('INVALID_INPUT', 'corpus.path: requests name corpora by id, not by path');
  const { id, ...options } = ref;
  return { job: { ...b, corpus: { ...options, path: corpora.resolve(id) } }, label: id };
}

function routes(deps: DashboardDeps): Router {
  const { store, jobs, corpora } = deps;
  const router = Router();
  router.use(express.static(UI_DIR, { index: 'index.html', fallthrough: true }));

  router.get('/v1/corpora', (_req, res) => {
    res.json({ corpora: corpora.list() });
  });
  router.post('/v1/corpora', (req, res) => {
    const body = uploadSchema.safeParse(req.body);
    if (!body.success) throw new DistilleryError('INVALID_INPUT', 'expected { "name": "file.jsonl", "content": "..." }');
    res.status(201).json(corpora.save(body.data.name, body.data.content));
  });
  router.get('/v1/recipes', (_req, res) => {
    res.json({ recipes: modelFreeRecipes(Object.keys(BUILTIN_RECIPES)) });
  });

  router.get('/v1/datasets', (_req, res) => {
    res.json({ datasets: store.listDatasets().map((d) => ({ name: d.name, created: d.created, ...store.datasetStats(d.id) })) });
  });
  router.get('/v1/datasets/:id/report', (req, res) => {
    res.json(
      buildDatasetReport(store, req.params.id, {
        ...(teacherQuery(req.query.teacher) ? { teacher: teacherQuery(req.query.teacher)! } : {}),
        exampleOffset: intParam(req.query.offset, 0, 1e9),
        exampleGroups: intParam(req.query.groups, 25, 500),
      }),
    );
  });
  router.get('/v1/datasets/:id/eval', (req, res) => {
    res.json(evaluateTeacher(store, req.params.id, teacherQuery(req.query.teacher)));
  });
  router.get('/v1/datasets/:id/examples/:exampleId/attention', async (req, res) => {
    res.json(await withTokenLabels(exampleAttention(store, req.params.id, req.params.exampleId, teacherQuery(req.query.teacher)), deps.tokenLabels));
  });

  router.get('/v1/jobs', (_req, res) => {
    res.json({ jobs: jobs.list() });
  });
  router.post('/v1/jobs', (req, res) => {
    const { job, label } = resolveCorpus(req.body, corpora);
    const view = jobs.submit(job, label);
    res.status(202).location(`/v1/jobs/${view.id}`).json(view);
  });
  router.get('/v1/jobs/:id', (req, res) => {
    res.json(jobs.view(req.params.id));
  });
  router.delete('/v1/jobs/:id', (req, res) => {
    res.json(jobs.cancel(req.params.id));
  });
  // Server-sent events: the current state at once, then every change until the job finishes.
  router.get('/v1/jobs/:id/events', (req, res) => {
    const first = jobs.view(req.params.id);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
    send(first);
    if (['done', 'up-to-date', 'cancelled', 'failed'].includes(first.status)) return void res.end();
    const off = jobs.subscribe(first.id, (v) => {
      send(v);
      if (['done', 'up-to-date', 'cancelled', 'failed'].includes(v.status)) res.end();
    });
    res.on('close', off);
  });
  return router;
}

function docs(): RouteDoc[] {
  const id = z.object({ id: z.string() });
  return [
    { method: 'get', path: '/v1/corpora', summary: 'Corpora the dashboard can run: public ones and uploads', errors: [401] },
    { method: 'post', path: '/v1/corpora', summary: 'Upload a corpus file (JSON { name, content })', body: uploadSchema, okStatus: 201, errors: [401, 413, 422] },
    { method: 'get', path: '/v1/recipes', summary: 'Built-in recipes that need no model in the dashboard', errors: [401] },
    { method: 'get', path: '/v1/datasets', summary: 'Datasets with their counts', errors: [401] },
    { method: 'get', path: '/v1/datasets/{id}/report', summary: 'Dataset report: label distribution, confidence and entropy histograms, per-op stats, examples', params: id, errors: [401, 404, 422] },
    { method: 'get', path: '/v1/datasets/{id}/eval', summary: 'Teacher evaluation on the labelled originals: accuracy, ECE, reliability, temperature sweep', params: id, errors: [401, 404, 422] },
    { method: 'get', path: '/v1/datasets/{id}/examples/{exampleId}/attention', summary: 'Stored attention maps of one example', errors: [401, 404] },
    { method: 'get', path: '/v1/jobs', summary: 'Jobs started in this process', errors: [401] },
    { method: 'post', path: '/v1/jobs', summary: 'Start a job (the job schema; corpus names a catalog id)', okStatus: 202, errors: [400, 401, 404, 422] },
    { method: 'get', path: '/v1/jobs/{id}', summary: 'A job with its latest progress', params: id, errors: [401, 404] },
    { method: 'delete', path: '/v1/jobs/{id}', summary: 'Cancel a job (stops after the current chunk)', params: id, errors: [401, 404] },
    { method: 'get', path: '/v1/jobs/{id}/events', summary: 'Job progress as server-sent events', params: id, produces: 'text/event-stream', errors: [401, 404] },
  ];
}

export function dashboardModule(deps: DashboardDeps): RouteModule {
  return { router: () => routes(deps), docs };
}

/**
 * The dashboard: static pages at `/` (no CDN, plain ES modules) and the small JSON routes they read —
 * corpora (listing and upload), recipes, and each dataset's report, teacher evaluation and attention maps.
 * Jobs and dataset listings are the HTTP API's own routes (src/http/routes/jobs.ts, datasets.ts).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { DistilleryError } from '../../core/errors.ts';
import { ReportCache } from '../../report/report-cache.ts';
import { exampleAttention } from '../../report/example-attention.ts';
import { evaluateTeacherYielding } from '../../report/teacher-evaluation.ts';
import { withTokenLabels, type TokenLabeler } from '../../report/token-labels.ts';
import { isSequenceDataset } from '../../report/sequence-report.ts';
import type { SequenceReport } from '../../report/sequence-report-types.ts';
import { sequenceSamples, withTokenTexts, type TokenTexts } from '../../report/sequence-samples.ts';
import type { AugmentModels } from '../../jobs/index.ts';
import type { DatasetCatalog, SequenceDatasetReader } from '../../store/index.ts';
import type { RouteModule } from '../app.ts';
import type { RouteDoc } from '../openapi.ts';
import type { CorpusCatalog } from './corpus-catalog.ts';
import { runnableRecipes } from './recipe-catalog.ts';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../ui');

/** URL paths of the dashboard's static files ("/", "/app.js", "/lib/dom.js", ...). */
export function uiFilePaths(): Set<string> {
  const out = new Set<string>(['/']);
  for (const f of readdirSync(UI_DIR, { recursive: true, withFileTypes: true }))
    if (f.isFile()) out.add(`/${path.relative(UI_DIR, path.join(f.parentPath, f.name)).split(path.sep).join('/')}`);
  return out;
}

export interface DashboardDeps {
  store: DatasetCatalog & SequenceDatasetReader;
  corpora: CorpusCatalog;
  /** token strings for attention axes; positions are shown without it */
  tokenLabels?: TokenLabeler;
  /** token texts for causal-LM token strips; ids are shown without it */
  tokenTexts?: TokenTexts;
  /** the server config's augmentation models: recipes they can run are offered too */
  augmentModels?: AugmentModels;
}

const uploadSchema = z.strictObject({ name: z.string().min(1), content: z.string() });
const intParam = (v: unknown, fallback: number, max: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new DistilleryError('INVALID_INPUT', `expected an integer 0-${max}, got "${String(v)}"`);
  return n;
};
const teacherQuery = (q: unknown): string | undefined => (typeof q === 'string' && q !== '' ? q : undefined);

function routes(deps: DashboardDeps): Router {
  const { store, corpora } = deps;
  const reports = new ReportCache(store);
  const router = Router();
  router.use(express.static(UI_DIR, { index: 'index.html', fallthrough: true }));

  router.get('/v1/corpora', (_req, res) => {
    res.json({ corpora: corpora.list() });
  });
  router.post('/v1/corpora', (req, res) => {
    const body = uploadSchema.safeParse(req.body);
    if (!body.success)
      throw new DistilleryError('INVALID_INPUT', 'expected { "name": "file.jsonl", "content": "..." }');
    res.status(201).json(corpora.save(body.data.name, body.data.content));
  });
  router.get('/v1/recipes', (_req, res) => {
    res.json({ recipes: runnableRecipes(deps.augmentModels) });
  });

  router.get('/v1/datasets/:id/report', async (req, res) => {
    if (isSequenceDataset(store, req.params.id)) {
      res.json(await sequenceReport(req.params.id, req.query));
      return;
    }
    res.json(
      await reports.get(req.params.id, {
        ...(teacherQuery(req.query.teacher) ? { teacher: teacherQuery(req.query.teacher)! } : {}),
        exampleOffset: intParam(req.query.offset, 0, 1e9),
        exampleGroups: intParam(req.query.groups, 25, 500),
      }),
    );
  });
  // stats come from the cache; the strips of the rows asked for are read fresh (a few rows)
  const sequenceReport = async (id: string, query: Record<string, unknown>): Promise<SequenceReport> => {
    const stats = await reports.getSequenceStats(store, id, teacherQuery(query.teacher));
    const offset = intParam(query.offset, 0, 1e9);
    const samples = stats.teacher
      ? sequenceSamples(store, id, { teacher: stats.teacher.fingerprint, offset, rows: intParam(query.rows, 8, 64) })
      : [];
    const tokenTexts = stats.teacher ? await withTokenTexts(samples, stats.teacher.name, deps.tokenTexts) : false;
    return { kind: 'sequence', ...stats, samples, sampleOffset: offset, tokenTexts };
  };
  router.get('/v1/datasets/:id/eval', async (req, res) => {
    res.json(await evaluateTeacherYielding(store, req.params.id, teacherQuery(req.query.teacher)));
  });
  router.get('/v1/datasets/:id/examples/:exampleId/attention', async (req, res) => {
    res.json(
      await withTokenLabels(
        exampleAttention(store, req.params.id, req.params.exampleId, teacherQuery(req.query.teacher)),
        deps.tokenLabels,
      ),
    );
  });

  return router;
}

function docs(): RouteDoc[] {
  const id = z.object({ id: z.string() });
  return [
    {
      method: 'get',
      path: '/v1/corpora',
      summary: 'Corpora the dashboard can run: public ones and uploads',
      errors: [401],
    },
    {
      method: 'post',
      path: '/v1/corpora',
      summary: 'Upload a corpus file (JSON { name, content })',
      body: uploadSchema,
      okStatus: 201,
      errors: [401, 413, 422],
    },
    {
      method: 'get',
      path: '/v1/recipes',
      summary:
        'Built-in recipes a job can run (ops that need no model beyond the teacher, or only models the server config names)',
      errors: [401],
    },
    {
      method: 'get',
      path: '/v1/datasets/{id}/report',
      summary:
        'Dataset report: label distribution, confidence and entropy histograms, per-op stats, examples; for a causal-LM dataset (kind "sequence"): per-position entropy, top-k mass captured, next-token figures and token strips of `rows` rows from `offset`',
      params: id,
      errors: [401, 404, 422],
    },
    {
      method: 'get',
      path: '/v1/datasets/{id}/eval',
      summary: 'Teacher evaluation on the labelled originals: accuracy, ECE, reliability, temperature sweep',
      params: id,
      errors: [401, 404, 422],
    },
    {
      method: 'get',
      path: '/v1/datasets/{id}/examples/{exampleId}/attention',
      summary: 'Stored attention maps of one example',
      errors: [401, 404],
    },
  ];
}

export function dashboardModule(deps: DashboardDeps): RouteModule {
  return { router: () => routes(deps), docs };
}

/** GET /v1/datasets and /v1/datasets/:id: listing and stats, straight from the store. */
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { exportStream, type ExportFormat, type ExportStream } from '../../export/index.ts';
import { temperaturesSchema } from '../../jobs/index.ts';
import type { DatasetCatalog } from '../../store/index.ts';
import type { RouteModule } from '../app.ts';
import { HttpProblem } from '../problem.ts';
import { publicValue } from '../public-paths.ts';
import type { Schemas } from '../schemas.ts';
import { parseOr422 } from '../validate.ts';

export function requireDataset(store: DatasetCatalog, id: string) {
  const record = store.getDataset(id);
  if (!record) throw new HttpProblem(404, `no dataset "${id}"`, { hint: 'see GET /v1/datasets' });
  return record;
}

/** Causal-LM datasets (src/jobs/sequence/); each answers undefined for a classifier dataset. */
export interface SequenceDatasets {
  /** one export file */
  exportStream(dataset: string, format: ExportFormat): ExportStream | undefined;
  /** row counts and the first refused rows with their field */
  rows(dataset: string): unknown;
}

/**
 * `roots`: folders whose paths answers show relative (corpora folders, the data folder);
 * `sequences`: exports causal-LM datasets (src/jobs/sequence/).
 */
export function datasetsModule(
  store: DatasetCatalog,
  roots: readonly string[] = [],
  sequences?: SequenceDatasets,
): RouteModule {
  return {
    router(schemas: Schemas) {
      const router = Router();
      router.get('/v1/datasets', (_req, res) => {
        res.json({ datasets: store.listDatasets().map((d) => ({ id: d.id, name: d.name, created: d.created })) });
      });
      router.get('/v1/datasets/:id', (req, res) => {
        const { id } = parseOr422(schemas.datasetParams, req.params, 'params');
        const record = requireDataset(store, id);
        const rows = sequences?.rows(id);
        res.json({
          ...publicValue(record, roots),
          ...(rows ? { sequences: rows } : { stats: store.datasetStats(id) }),
        });
      });
      router.get('/v1/datasets/:id/export', async (req, res) => {
        const { id } = parseOr422(schemas.datasetParams, req.params, 'params');
        const query = parseOr422(schemas.exportQuery, req.query, 'query');
        requireDataset(store, id);
        const parsedTemperatures = temperaturesSchema.safeParse(query.temperatures?.split(',').map(Number));
        if (query.temperatures !== undefined && !parsedTemperatures.success)
          throw new HttpProblem(422, `query parameter "temperatures": ${parsedTemperatures.error.issues[0]!.message}`);
        const temperatures = query.temperatures === undefined ? undefined : parsedTemperatures.data;
        // Only the dataset id and format pick the file; no path ever comes from the request.
        const out =
          sequences?.exportStream(id, query.format as ExportFormat) ??
          (await exportStream(store, id, {
            format: query.format,
            ...(query.teacher ? { teacher: query.teacher } : {}),
            ...(temperatures ? { temperatures } : {}),
          }));
        res.setHeader('content-type', out.contentType);
        res.setHeader('content-disposition', `attachment; filename="${out.filename}"`);
        try {
          await pipeline(out.stream, res);
        } catch (err) {
          // Headers are gone: the client sees a cut connection, the log says why.
          res.locals.log?.warn({ err }, 'export stream failed');
          out.stream.destroy();
        }
      });
      return router;
    },
    docs(schemas: Schemas) {
      return [
        {
          method: 'get',
          path: '/v1/datasets',
          summary: 'Datasets in the store',
          response: z.object({
            datasets: z.array(z.object({ id: z.string(), name: z.string(), created: z.string() })),
          }),
          errors: [401],
        },
        {
          method: 'get',
          path: '/v1/datasets/{id}/export',
          summary: 'The dataset as one Parquet, safetensors or JSONL file (streamed; JSONL generated while read)',
          params: schemas.datasetParams,
          query: schemas.exportQuery,
          produces: 'application/octet-stream',
          errors: [401, 404, 422],
        },
        {
          method: 'get',
          path: '/v1/datasets/{id}',
          summary: 'One dataset: spec, manifest, example counts and per-teacher label coverage',
          params: schemas.datasetParams,
          errors: [401, 404, 422],
        },
      ];
    },
  };
}

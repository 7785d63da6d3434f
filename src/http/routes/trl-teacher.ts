/**
 * A teacher server for TRL's live distillation trainers: the two routes TRL's VLLMClient calls
 * (`GET /health/`, `POST /get_sequence_logprobs/`, as served by `trl vllm-serve`, trl/scripts/vllm_serve.py),
 * answered from a configured causal-LM teacher through the same cache and micro-batcher as
 * POST /v1/sequence-logprobs. At the root they use the default causal teacher; under `/trl/{teacher}/`
 * they use the one named, so a client's base_url picks it (`http://host:8080/trl/lm`).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SequenceOutputSpec } from '../../core/sequence-types.ts';
import type { CausalLabeler } from '../../labels/index.ts';
import { type EncodedSequence, SequenceInputError } from '../../teacher/causal/sequence-input.ts';
import { encodeTokenIds } from '../../teacher/causal/token-ids-input.ts';
import type { RouteModule } from '../app.ts';
import {
  defaultCausalTeacher,
  fieldPointer,
  fieldProblem,
  specChecked,
  type CausalCatalog,
} from '../causal-routes-common.ts';
import { TEACHER_NAME, type SchemaLimits } from '../schemas.ts';
import { buildSequenceSchemas } from '../sequence-schemas.ts';
import { trlBinaryBody, trlJsonBody } from '../trl-format.ts';
import { parseOr422 } from '../validate.ts';

export interface TrlTeacherDeps {
  labeler: CausalLabeler;
  catalog: CausalCatalog;
  defaultTeacher: string | undefined;
  limits: SchemaLimits;
}

export function trlTeacherModule(deps: TrlTeacherDeps): RouteModule {
  const schemas = buildSequenceSchemas(deps.limits);
  const teacherOf = async (req: Request) => {
    const named = req.params.teacher as string | undefined;
    if (named !== undefined && !TEACHER_NAME.test(named))
      throw fieldProblem('params:/teacher', 'not a teacher name (see GET /v1/teachers)');
    const name = named ?? defaultCausalTeacher(deps.catalog, deps.defaultTeacher);
    if (name === undefined)
      throw fieldProblem('params:/teacher', 'no text-generation teacher is configured', 'add a causal-LM teacher');
    const field = named === undefined ? 'teacher' : 'params:/teacher';
    return specChecked({ [field]: 'params:/teacher' }, () => deps.labeler.teacher(name, field));
  };

  const router = (): Router => {
    const r = Router();
    const health = async (req: Request, res: Response) => {
      await teacherOf(req);
      res.json({ status: 'ok' });
    };
    r.get('/health/', health);
    r.get('/trl/:teacher/health/', health);

    const logprobs = async (req: Request, res: Response) => {
      const body = parseOr422(schemas.trlRequest, req.body);
      const teacher = await teacherOf(req);
      if (body.prompt_lengths.length !== body.sequences.length) {
        throw fieldProblem(
          '/prompt_lengths',
          `${body.prompt_lengths.length} prompt lengths for ${body.sequences.length} sequences; give one per sequence`,
        );
      }
      body.prompt_lengths.forEach((pl, i) => {
        const n = body.sequences[i]!.length;
        if (pl > n) throw fieldProblem(`/prompt_lengths/${i}`, `${pl} is beyond the sequence's ${n} tokens`);
      });
      const k = body.top_logprobs;
      const spec: SequenceOutputSpec = { temperature: body.temperature, target: true, ...(k > 0 ? { topK: k } : {}) };
      await specChecked({ topK: '/top_logprobs', temperature: '/temperature' }, () => teacher.validateSpec(spec));
      const encoded = body.sequences.map((seq, i) =>
        encodeTokenIds(seq, body.prompt_lengths[i]!, teacher.info, `sequences[${i}]`),
      );
      const bad = encoded.find((e) => e instanceof SequenceInputError);
      if (bad) throw fieldProblem(fieldPointer(bad.field), bad.message);
      const { targets } = await deps.labeler.score(teacher, encoded as EncodedSequence[], spec);
      const rows = targets.map((t, i) => ({ targets: t, promptLength: body.prompt_lengths[i]! }));
      res.json(body.response_format === 'binary' ? trlBinaryBody(rows, k) : trlJsonBody(rows, k));
    };
    r.post('/get_sequence_logprobs/', logprobs);
    r.post('/trl/:teacher/get_sequence_logprobs/', logprobs);
    return r;
  };

  const params = z.object({ teacher: z.string().regex(TEACHER_NAME, 'a configured teacher name') }).strict();
  return {
    router,
    docs: () => [
      {
        method: 'get',
        path: '/health/',
        summary: 'TRL teacher server: liveness once the teacher is loaded',
        errors: [404, 422, 503],
      },
      {
        method: 'post',
        path: '/get_sequence_logprobs/',
        summary:
          "TRL teacher server: per-token top-k log-probs of the completions (TRL's VLLMClient.get_sequence_logprobs)",
        body: schemas.trlRequest,
        response: schemas.trlResponse,
        errors: [400, 401, 404, 413, 422, 429, 503],
      },
      {
        method: 'get',
        path: '/trl/{teacher}/health/',
        summary: 'As /health/, for the named teacher',
        params,
        errors: [404, 422, 503],
      },
      {
        method: 'post',
        path: '/trl/{teacher}/get_sequence_logprobs/',
        summary: 'As /get_sequence_logprobs/, for the named teacher',
        params,
        body: schemas.trlRequest,
        response: schemas.trlResponse,
        errors: [400, 401, 404, 413, 422, 429, 503],
      },
    ],
  };
}

/** POST /v1/soft-labels: texts or pairs -> real teacher outputs, cache-aware and micro-batched. */
import { Router } from 'express';
import type { OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../../core/types.ts';
import type { SoftLabeler } from '../../labels/index.ts';
import { componentsForSpec, layerCountsOf } from '../../store/index.ts';
import { HttpProblem } from '../problem.ts';
import type { Schemas, SoftLabelsRequest } from '../schemas.ts';
import { parseOr422 } from '../validate.ts';

export interface SoftLabelsDeps {
  schemas: Schemas;
  labeler: SoftLabeler;
  teacherNames: readonly string[];
  defaultTeacher: string;
}

/** Output requests the teacher's graph cannot answer are the caller's mistake: 422 naming the field. */
function checkAgainstTeacher(spec: OutputSpec, info: TeacherInfo): void {
  const check = (what: 'hidden' | 'attentions', available: number): void => {
    const req = spec[what];
    if (!req) return;
    if (available === 0) {
      throw new HttpProblem(
        422,
        `field /outputs/${what}: teacher "${info.name}" exposes no ${what === 'hidden' ? 'hidden states' : 'attentions'}`,
        {
          errors: [{ pointer: `/outputs/${what}`, detail: 'not available for this teacher' }],
          hint: 'see GET /v1/teachers for what each teacher exposes',
        },
      );
    }
    if (Array.isArray(req.layers)) {
      const bad = req.layers.findIndex((l) => l >= available);
      if (bad >= 0) {
        throw new HttpProblem(
          422,
          `field /outputs/${what}/layers/${bad}: layer ${req.layers[bad]} does not exist (teacher "${info.name}" has ${available})`,
          {
            errors: [{ pointer: `/outputs/${what}/layers/${bad}`, detail: `must be below ${available}` }],
          },
        );
      }
    }
  };
  check('hidden', info.hiddenLayers);
  check('attentions', info.attentionLayers);
  // nothing asked is nothing to compute or cache, and a graph cut down to no output cannot run
  if (componentsForSpec(spec, layerCountsOf(info)).length === 0) {
    throw new HttpProblem(422, 'field /outputs: asks for no output', {
      errors: [{ pointer: '/outputs', detail: 'ask for logits, temperatures, topK, hidden or attentions' }],
    });
  }
}

// Outputs are float32 (and cached as such): 9 significant digits round-trip them, more is noise.
const f32 = (x: number): number => (Number.isFinite(x) ? Number(Math.fround(x).toPrecision(9)) : x);
const arr = (a: ArrayLike<number>): number[] => Array.from(a, f32);

function present(o: TeacherOutput, index: number, cached: boolean, info: TeacherInfo, spec: OutputSpec) {
  const isClassifier = info.task === 'text-classification';
  let label: string | undefined;
  // argmax of the logits, or of any probabilities when logits were not asked for (same order)
  const scores = o.logits ?? o.probs?.[0];
  if (isClassifier && scores && scores.length > 0) {
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    label = info.labels[best];
  }
  return {
    index,
    ...(label !== undefined ? { label } : {}),
    ...(spec.logits && o.logits ? { logits: arr(o.logits) } : {}),
    ...(o.probs ? { probs: o.probs.map((p, i) => ({ temperature: spec.temperatures[i]!, values: arr(p) })) } : {}),
    ...(o.topK
      ? {
          topK: o.topK.map((t) => ({
            ids: Array.from(t.ids),
            ...(isClassifier ? { labels: Array.from(t.ids, (id) => info.labels[id] ?? String(id)) } : {}),
            logits: arr(t.logits),
            logSumExp: f32(t.logSumExp),
          })),
        }
      : {}),
    ...(o.hidden
      ? {
          hidden: o.hidden.map((h) => ({
            layer: h.layer,
            pooling: h.pooling,
            value: { shape: h.value.shape, data: arr(h.value.data) },
          })),
        }
      : {}),
    ...(o.attentions
      ? {
          attentions: o.attentions.map((a) => ({
            layer: a.layer,
            value: { shape: a.value.shape, data: arr(a.value.data) },
          })),
        }
      : {}),
    tokens: o.tokens,
    truncated: o.truncated,
    cached,
  };
}

export function softLabelsRoute(deps: SoftLabelsDeps): Router {
  const router = Router();
  router.post('/v1/soft-labels', async (req, res) => {
    const body: SoftLabelsRequest = parseOr422(deps.schemas.softLabelsRequest, req.body);
    const teacher = body.teacher ?? deps.defaultTeacher;
    // Only names from the configured registry; a path or hub id can never reach the loader.
    if (!deps.teacherNames.includes(teacher)) {
      throw new HttpProblem(404, `field /teacher: no teacher named "${teacher}"`, {
        errors: [{ pointer: '/teacher', detail: `configured teachers: ${deps.teacherNames.join(', ')}` }],
      });
    }
    const inputs: TextInput[] = body.inputs.map((i) =>
      typeof i === 'string'
        ? { text: i }
        : i.textPair === undefined
          ? { text: i.text }
          : { text: i.text, textPair: i.textPair },
    );
    const spec: OutputSpec = {
      logits: body.outputs.logits,
      temperatures: body.outputs.temperatures,
      encoding: body.outputs.encoding,
      ...(body.outputs.topK !== undefined ? { topK: body.outputs.topK } : {}),
      ...(body.outputs.hidden ? { hidden: body.outputs.hidden } : {}),
      ...(body.outputs.attentions ? { attentions: body.outputs.attentions } : {}),
    };
    const info = await deps.labeler.info(teacher);
    checkAgainstTeacher(spec, info);
    const { outputs, cached } = await deps.labeler.label(teacher, inputs, spec);
    res.json({
      teacher: { name: info.name, fingerprint: info.fingerprint, task: info.task, labels: info.labels },
      results: outputs.map((o, i) => present(o, i, cached[i]!, info, spec)),
    });
  });
  return router;
}

/** Attention maps of one stored example, for the heatmap: [layer][head][query][key], padding removed. */
import { DistilleryError } from '../core/errors.ts';
import type { DatasetReader } from '../store/index.ts';
import { storedAttentionLayers } from './attention-layers.ts';
import { pickTeacher } from './dataset-report.ts';

export interface ExampleAttention {
  exampleId: string;
  text: string;
  textPair?: string;
  teacher: string;
  /** the teacher's max length, so a tokenizer can reproduce the truncation */
  maxLength: number;
  /** token strings (special tokens included) when a tokenizer was at hand */
  tokenLabels?: string[];
  /** model tokens in the map (special tokens included) */
  tokens: number;
  layers: { layer: number; heads: number; /** heads x tokens x tokens, row-major, rounded to 1e-4 */ data: number[] }[];
}

export function exampleAttention(
  store: DatasetReader,
  datasetId: string,
  exampleId: string,
  teacher?: string,
): ExampleAttention {
  store.requireDataset(datasetId);
  const example = store.getExample(datasetId, exampleId);
  if (!example) throw new DistilleryError('NOT_FOUND', `dataset ${datasetId} has no example "${exampleId}"`);
  const chosen = pickTeacher(store, datasetId, teacher);
  const layers = chosen ? storedAttentionLayers(chosen.spec, chosen.info?.attentionLayers ?? 0) : [];
  if (!chosen || layers.length === 0) {
    throw new DistilleryError('NOT_FOUND', `dataset ${datasetId} has no stored attentions`, {
      hint: 'run the job with outputs.attentions, e.g. { "layers": "all" }, and a teacher that exposes them (models/tiny-bert-classifier)',
    });
  }
  const out = store
    .getOutputs(chosen.fingerprint, [example.inputHash], {
      logits: false,
      temperatures: [],
      attentions: { layers },
      encoding: chosen.spec.encoding,
    })
    .get(example.inputHash);
  if (!out?.attentions)
    throw new DistilleryError('NOT_FOUND', `example "${exampleId}" has no stored attentions`, {
      hint: 'the job may not have labelled it yet',
    });
  return {
    exampleId,
    text: example.text,
    ...(example.textPair === undefined ? {} : { textPair: example.textPair }),
    teacher: chosen.info?.name ?? chosen.fingerprint,
    maxLength: chosen.info?.maxLength ?? out.tokens,
    tokens: out.tokens,
    layers: out.attentions.map((a) => ({
      layer: a.layer,
      heads: a.value.shape[0] ?? 1,
      data: Array.from(a.value.data, (x) => Math.round(x * 1e4) / 1e4),
    })),
  };
}

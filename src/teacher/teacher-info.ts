/**
 * What a loaded graph says about its teacher: the task (classifier or masked LM, from the config's
 * architecture or the rank of `logits`), the class names, and the hidden-state and attention outputs.
 */
import type { TeacherInfo } from '../core/types.ts';
import { graphOutputs, type GraphOutputs } from './output-names.ts';
import type { TeacherSession } from './session-handle.ts';

function taskOf(config: Record<string, unknown>, logitsRank: number): TeacherInfo['task'] {
  const arch = String((config.architectures as string[] | undefined)?.[0] ?? '');
  if (arch.endsWith('ForMaskedLM') || logitsRank === 3) return 'fill-mask';
  return 'text-classification';
}

function labelsOf(config: Record<string, unknown>, n: number): string[] {
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  return Array.from({ length: n }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`);
}

export function describeTeacher(
  session: Pick<TeacherSession, 'outputNames' | 'outputMetadata'>,
  config: Record<string, unknown>,
  known: Pick<TeacherInfo, 'name' | 'fingerprint' | 'device' | 'dtype' | 'maxLength'>,
): { info: TeacherInfo; outputs: GraphOutputs } {
  const outputs = graphOutputs(session.outputNames);
  const logitsMeta = session.outputMetadata.find((m) => m.name === 'logits');
  const logitsShape = logitsMeta && logitsMeta.isTensor ? logitsMeta.shape : [];
  const task = taskOf(config, logitsShape.length);
  const numLabels =
    task === 'text-classification'
      ? Number(logitsShape[1]) || Object.keys((config.id2label ?? {}) as object).length
      : 0;
  // the key order is the one stored and exported (JSON), so it stays as it always was
  const info: TeacherInfo = {
    name: known.name,
    fingerprint: known.fingerprint,
    task,
    labels: task === 'text-classification' ? labelsOf(config, numLabels) : [],
    device: known.device,
    dtype: known.dtype,
    maxLength: known.maxLength,
    hiddenLayers: outputs.hiddenLayers.length,
    attentionLayers: outputs.attentionLayers.length,
  };
  return { info, outputs };
}

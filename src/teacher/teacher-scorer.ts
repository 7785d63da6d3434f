/**
 * The scorer that teacher-guided augmentation talks to: class probabilities (T = 1) for a batch of
 * texts, in one batched teacher call.
 */
import { expectOutputPerInput } from '../core/output-count.ts';
import type { TeacherRunner, TextInput } from '../core/types.ts';

export interface ProbabilityScorer {
  score(inputs: TextInput[]): Promise<Float32Array[]>;
}

export function teacherScorer(teacher: TeacherRunner): ProbabilityScorer {
  return {
    async score(inputs) {
      if (inputs.length === 0) return [];
      const outs = await teacher.infer(inputs, { logits: false, temperatures: [1], encoding: 'fp32' });
      expectOutputPerInput(teacher.info.name, outs.length, inputs.length);
      return outs.map((o) => o.probs![0]!);
    },
  };
}

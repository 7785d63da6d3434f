/**
 * What makes a job a causal-LM job, and what such a job may not ask for: one teacher, no augmentation,
 * no classifier filters or ensembles, no output shards (a job splits with --shard i/n --parts DIR or --queue: src/jobs/scale/sequence-parts.ts), a top-k no larger than the vocabulary,
 * DistillKit Parquet only at T = 1. Checked from the teachers' config.json alone (no model load), so
 * the CLI refuses a bad job before its teacher loads and HTTP answers 422 naming the field.
 */
import type { JobIssue, JobSpec } from '../job-schema.ts';

/** The teacher facts the checks need; the registry provides them from config.json. */
export interface CausalTeacherFacts {
  isCausal?(name: string): boolean;
  vocabSize?(name: string): number | undefined;
}

const causalOrFalse = (facts: CausalTeacherFacts, name: string): boolean => {
  try {
    return facts.isCausal?.(name) ?? false;
  } catch {
    // an unknown teacher is reported when the job loads it, with the configured names
    return false;
  }
};

/** The job's causal-LM teacher name, or undefined for a classifier job. */
export function causalTeacherOf(job: JobSpec, facts: CausalTeacherFacts): string | undefined {
  return job.teachers.find((t) => causalOrFalse(facts, t.name))?.name;
}

export function sequenceJobIssues(job: JobSpec, facts: CausalTeacherFacts): JobIssue[] {
  const causal = causalTeacherOf(job, facts);
  if (causal === undefined) {
    return job.sequence
      ? [
          {
            path: 'sequence',
            message: `needs a text-generation (causal-LM) teacher; ${job.teachers[0]!.name} is not one`,
          },
        ]
      : [];
  }
  const issues: JobIssue[] = [];
  const no = (path: string, message: string) => issues.push({ path, message });
  if (job.teachers.length > 1)
    no('teachers', `a causal-LM job takes one teacher (${causal}), got ${job.teachers.length}`);
  if (job.recipe !== null) no('recipe', 'causal-LM jobs do not augment: remove the recipe');
  if (job.filters) no('filters', 'teacher filters are for classifiers: remove them');
  if (job.shard)
    no(
      'shard',
      'a causal-LM job is split into parts, not output shards: distillery run JOB --shard i/n --parts DIR, then run JOB --parts DIR',
    );
  const s = job.sequence;
  const vocab = facts.vocabSize?.(causal);
  if (s?.topK !== undefined && vocab !== undefined && s.topK > vocab)
    no('sequence.topK', `${s.topK} is larger than the vocabulary of ${causal} (${vocab} ids)`);
  job.export.forEach((t, i) => {
    if (t.average) no(`export[${i}].average`, 'averaging is for classifier ensembles');
    if (t.format === 'parquet' && s?.topK !== undefined && s.temperature !== 1)
      no(
        `export[${i}].format`,
        "DistillKit's top_values are log-probs at T=1: set sequence.temperature to 1, or export safetensors or jsonl",
      );
  });
  return issues;
}

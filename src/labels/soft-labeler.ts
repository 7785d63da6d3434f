/**
 * Soft labels on demand, for the HTTP API: the labelling gate with a per-teacher micro-batcher as its
 * way to the model, so only what the cache lacks is computed and concurrent requests share model calls.
 * The teacher registry and the cache are injected.
 */
import { DistilleryError, isDistilleryError } from '../core/errors.ts';
import type { OutputSpec, TeacherInfo, TeacherOutput, TeacherRunner, TextInput } from '../core/types.ts';
import { labelInputs } from './gate.ts';
import type { LabelCache } from './label-cache.ts';
import { BatcherPool, type PoolOptions } from './batcher-pool.ts';
import { MicroBatcher } from './micro-batcher.ts';

/** The part of the teacher registry this module needs (src/teacher/registry.ts satisfies it). */
export interface TeacherProvider {
  get(name: string): Promise<TeacherRunner>;
}

export interface SoftLabelerOptions extends PoolOptions {
  cache: LabelCache;
  onCache?: (teacher: string, hits: number, misses: number) => void;
}

export interface SoftLabels {
  info: TeacherInfo;
  outputs: TeacherOutput[];
  /** per input: answered from the cache without the model (every component of it) */
  cached: boolean[];
}

/** Errors that are the caller's doing keep their code; anything else means the teacher cannot serve. */
const CLIENT_CODES = new Set(['INVALID_INPUT', 'UNSUPPORTED_OUTPUT', 'OVERLOADED', 'CANCELLED', 'NOT_FOUND']);

export function teacherUnavailable(name: string, cause: unknown): DistilleryError {
  if (isDistilleryError(cause) && (CLIENT_CODES.has(cause.code) || cause.code === 'MODEL_LOAD_FAILED')) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DistilleryError('MODEL_LOAD_FAILED', `teacher "${name}" failed: ${reason}`, {
    cause,
    details: { teacher: name },
    hint: 'check the teacher model files and the server log; other teachers keep serving',
  });
}

export class SoftLabeler {
  readonly #teachers: TeacherProvider;
  readonly #opts: SoftLabelerOptions;
  readonly #batchers: BatcherPool<MicroBatcher>;

  constructor(teachers: TeacherProvider, opts: SoftLabelerOptions) {
    this.#teachers = teachers;
    this.#opts = opts;
    this.#batchers = new BatcherPool(opts);
  }

  /** The teacher's metadata; loads it on first use. */
  async info(teacher: string): Promise<TeacherInfo> {
    return (await this.#runner(teacher)).info;
  }

  async #runner(teacher: string): Promise<TeacherRunner> {
    try {
      return await this.#teachers.get(teacher);
    } catch (err) {
      throw teacherUnavailable(teacher, err);
    }
  }

  async label(teacher: string, inputs: TextInput[], spec: OutputSpec): Promise<SoftLabels> {
    if (this.#batchers.closing) throw new DistilleryError('CANCELLED', 'the server is shutting down');
    const runner = await this.#runner(teacher);
    const info = runner.info;
    const cache = this.#opts.cache;
    const batcher = this.#batchers.get(info.name, (o) => new MicroBatcher(runner, o));
    const labelled = await labelInputs(runner, cache, inputs, spec, {
      answer: true,
      submit: (missing, need) =>
        batcher.submit(missing, need).catch((err: unknown) => {
          throw teacherUnavailable(teacher, err);
        }),
    });
    const hashes = inputs.map((i) => cache.inputHash(i));
    const cached = hashes.map((h) => !labelled.missed.has(h));
    const hits = cached.filter(Boolean).length;
    this.#opts.onCache?.(teacher, hits, inputs.length - hits);
    return { info, outputs: hashes.map((h) => labelled.outputs!.get(h)!), cached };
  }

  /** texts queued or running per teacher that has served at least once */
  queueDepths(): Map<string, number> {
    return this.#batchers.depths();
  }

  /** Refuses new work and waits for every queued batch. Safe to call twice. */
  close(): Promise<void> {
    return this.#batchers.close();
  }
}

/**
 * Per-token targets of causal-LM teachers on demand, for the HTTP routes (POST /v1/sequence-logprobs
 * and the TRL teacher server): the store's content-addressed `sequences` repository is the cache, and
 * a per-teacher SequenceBatcher merges the misses of concurrent requests into shared teacher calls.
 * A sequence already stored, or already being computed for another request, costs no model call.
 */
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import { sequenceHash, type Store } from '../store/index.ts';
import { type CausalTeacher, seedOf } from '../teacher/causal/causal-teacher.ts';
import { type EncodedSequence, scoredPositions } from '../teacher/causal/sequence-input.ts';
import { BatcherPool, type PoolOptions } from './batcher-pool.ts';
import { SequenceBatcher } from './sequence-batcher.ts';
import { teacherUnavailable } from './soft-labeler.ts';

/** The part of the teacher registry this module needs (TeacherRegistry satisfies it). */
export interface CausalProvider {
  has(name: string): boolean;
  isCausal(name: string): boolean;
  getCausal(name: string): Promise<CausalTeacher>;
}

export interface CausalLabelerOptions extends PoolOptions {
  store: Store;
  onCache?: (teacher: string, hits: number, misses: number) => void;
}

export interface ScoredSequences {
  /** per row, in order: computed now (exact float32) or read from the store (top-k log-probs quantized) */
  targets: SequenceTargets[];
  cached: boolean[];
}

const hashOf = (row: EncodedSequence): string =>
  sequenceHash({
    tokenIds: Int32Array.from(row.ids),
    scored: scoredPositions(row.targets),
    truncated: row.truncated,
  }).toString('hex');

/** Targets of a row with no scored position: nothing to compute or store. */
function emptyTargets(row: EncodedSequence, spec: SequenceOutputSpec): SequenceTargets {
  const none = new Float32Array(0);
  return {
    tokenIds: Int32Array.from(row.ids),
    scored: new Uint8Array(row.ids.length),
    truncated: row.truncated,
    positions: new Int32Array(0),
    lse: none,
    ...(spec.topK ? { topk: { k: spec.topK, ids: new Int32Array(0), logprobs: none, tailMass: none } } : {}),
    ...(spec.samples
      ? {
          samples: {
            draws: spec.samples.draws,
            offsets: new Int32Array(1),
            ids: new Int32Array(0),
            counts: new Uint16Array(0),
          },
        }
      : {}),
    ...(spec.target ? { target: { logprob: none, rank: new Int32Array(0), entropy: none } } : {}),
  };
}

export class CausalLabeler {
  readonly #teachers: CausalProvider;
  readonly #opts: CausalLabelerOptions;
  readonly #batchers: BatcherPool<SequenceBatcher>;
  /** sequences being computed, by fingerprint + spec + hash: a second request waits for the first */
  readonly #inflight = new Map<string, Promise<SequenceTargets>>();

  constructor(teachers: CausalProvider, opts: CausalLabelerOptions) {
    this.#teachers = teachers;
    this.#opts = opts;
    this.#batchers = new BatcherPool(opts);
  }

  /** The loaded teacher; NOT_FOUND for an unknown name, INVALID_INPUT for a teacher that is no causal LM. */
  async teacher(name: string, field = 'teacher'): Promise<CausalTeacher> {
    if (!this.#teachers.has(name))
      throw new DistilleryError('NOT_FOUND', `no teacher named "${name}"`, { details: { field } });
    if (!this.#teachers.isCausal(name)) {
      throw new DistilleryError('INVALID_INPUT', `${field}: teacher "${name}" is not a text-generation teacher`, {
        details: { field },
        hint: 'name a teacher whose config.json is a causal LM (GET /v1/teachers)',
      });
    }
    try {
      return await this.#teachers.getCausal(name);
    } catch (err) {
      throw teacherUnavailable(name, err);
    }
  }

  /** Scores encoded rows with `spec` (already validated by the teacher), cache first. */
  async score(
    teacher: CausalTeacher,
    rows: readonly EncodedSequence[],
    spec: SequenceOutputSpec,
  ): Promise<ScoredSequences> {
    if (this.#batchers.closing) throw new DistilleryError('CANCELLED', 'the server is shutting down');
    const { fingerprint, vocabSize, name } = teacher.info;
    const sequences = this.#opts.store.sequences;
    const hashes = rows.map(hashOf);
    const scoring = rows.map((r) => r.targets.includes(1));
    const lookup = [...new Set(hashes.filter((_, i) => scoring[i]))];
    const stored = new Map(sequences.getMany(fingerprint, lookup, spec).map((t, i) => [lookup[i]!, t]));
    const specKey = JSON.stringify(spec);
    const fresh = new Map<string, Promise<SequenceTargets>>();
    const jobs: { row: EncodedSequence; key: string; seed: string }[] = [];
    rows.forEach((row, i) => {
      const key = hashes[i]!;
      if (!scoring[i] || stored.get(key) || fresh.has(key)) return;
      const flight = `${fingerprint}\u0000${specKey}\u0000${key}`;
      const shared = this.#inflight.get(flight);
      if (shared) fresh.set(key, shared);
      else jobs.push({ row, key, seed: seedOf(row) });
    });
    if (jobs.length > 0) {
      const computed = this.#batchers
        .get(name, (o) => new SequenceBatcher(teacher, o))
        .submit(jobs, spec)
        .catch((err: unknown) => {
          throw teacherUnavailable(name, err);
        })
        .then((targets) => {
          sequences.put(
            fingerprint,
            vocabSize,
            targets.map((t) => ({ targets: t, spec })),
          );
          return targets;
        });
      jobs.forEach((job, j) => {
        const flight = `${fingerprint}\u0000${specKey}\u0000${job.key}`;
        const one = computed.then((all) => all[j]!);
        one.catch(() => undefined);
        this.#inflight.set(flight, one);
        fresh.set(job.key, one);
        void one.then(
          () => this.#inflight.delete(flight),
          () => this.#inflight.delete(flight),
        );
      });
    }
    const targets = await Promise.all(
      rows.map((row, i) =>
        scoring[i] ? (stored.get(hashes[i]!) ?? fresh.get(hashes[i]!)!) : Promise.resolve(emptyTargets(row, spec)),
      ),
    );
    const cached = hashes.map((h, i) => scoring[i]! && stored.get(h) !== undefined);
    const hits = cached.filter(Boolean).length;
    this.#opts.onCache?.(name, hits, scoring.filter(Boolean).length - hits);
    return { targets, cached };
  }

  /** sequences queued or running per teacher that has served at least once */
  queueDepths(): Map<string, number> {
    return this.#batchers.depths();
  }

  /** Refuses new work and waits for every queued batch. Safe to call twice. */
  close(): Promise<void> {
    return this.#batchers.close();
  }
}

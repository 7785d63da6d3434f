/**
 * The repository of causal-LM per-token outputs (tables token_sequences and sequence_outputs,
 * migration 0005): put / get / missing for many sequences at once, each write one IMMEDIATE
 * transaction retried on SQLITE_BUSY like the rest of the store, and a bytes-per-position stat.
 *
 * Encoding happens before the transaction opens, so the write lock is held only for the inserts.
 * Outputs are computed once ever: a put of a component already stored keeps the stored row.
 */
import type Database from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import type { SequenceOutputSpec, SequenceTargets } from '../core/sequence-types.ts';
import type { TopKQuantizer } from './codecs/sequence-topk-codec.ts';
import { decodeTokenSequence, encodeTokenSequence } from './codecs/sequence-codecs.ts';
import {
  applyComponent,
  checkPositions,
  componentKind,
  encodeComponent,
  sequenceComponents,
  sequenceHash,
  servingComponent,
  truncateTopK,
} from './sequence-components.ts';
import { withBusyRetry } from './sqlite.ts';
import { StoredComponents } from './stored-components.ts';

export interface SequencePutResult {
  /** Sequences whose token row was new. */
  sequences: number;
  /** Output rows written (components already stored are kept, not counted). */
  outputs: number;
  /** Bytes of the output blobs written. */
  bytes: number;
}

export interface SequenceComponentStat {
  component: string;
  sequences: number;
  positions: number;
  bytes: number;
  /** bytes / positions: the figure the size targets are about */
  bytesPerPosition: number;
}

export interface SequenceOutputsOptions {
  /** unix seconds, for written_at */
  now?: () => number;
  /** top-k quantizer (default DEFAULT_TOPK_QUANTIZER); stored in each blob, so readers need not know it */
  quantizer?: TopKQuantizer;
}

/** A sequence's blobs exactly as the store holds them: for copying between stores (causal-LM parts). */
export interface StoredSequenceBlobs {
  hash: string;
  length: number;
  scored: number;
  tokens: Buffer;
  /** [component, positions, blob]: the stored components that serve the spec */
  components: [string, number, Buffer][];
}

type EncodedPut = { hash: Buffer; tokens: Uint8Array; length: number; rows: number; blobs: [string, Uint8Array][] };

export class SequenceOutputs {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #quantizer: TopKQuantizer | undefined;
  readonly #teacherIds = new Map<string, number>();
  readonly #s;
  readonly #stored: StoredComponents;

  constructor(db: Database.Database, opts: SequenceOutputsOptions = {}) {
    this.#db = db;
    this.#stored = new StoredComponents(db);
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.#quantizer = opts.quantizer;
    this.#s = {
      insertTeacher: db.prepare('INSERT INTO teachers (fingerprint) VALUES (?) ON CONFLICT (fingerprint) DO NOTHING'),
      teacherId: db.prepare<[string], { id: number }>('SELECT id FROM teachers WHERE fingerprint = ?'),
      insertSequence: db.prepare(
        `INSERT INTO token_sequences (hash, length, scored, data, written_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
      ),
      sequenceId: db.prepare<[Buffer], { id: number }>('SELECT id FROM token_sequences WHERE hash = ?'),
      sequence: db.prepare<[Buffer], { id: number; data: Buffer }>(
        'SELECT id, data FROM token_sequences WHERE hash = ?',
      ),
      sequenceRow: db.prepare<[Buffer], { id: number; length: number; scored: number; data: Buffer }>(
        'SELECT id, length, scored, data FROM token_sequences WHERE hash = ?',
      ),
      encodedOutput: db
        .prepare<[number, number, string], [number, Buffer]>(
          'SELECT positions, data FROM sequence_outputs WHERE teacher_id = ? AND sequence_id = ? AND component = ?',
        )
        .raw(true),
      insertOutput: db.prepare(
        `INSERT INTO sequence_outputs (teacher_id, sequence_id, component, positions, data, written_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (teacher_id, sequence_id, component) DO NOTHING`,
      ),
      stats: db.prepare<[string | null, string | null], Omit<SequenceComponentStat, 'bytesPerPosition'>>(
        `SELECT o.component, count(*) AS sequences, sum(o.positions) AS positions, sum(length(o.data)) AS bytes
         FROM sequence_outputs o JOIN teachers t ON t.id = o.teacher_id
         WHERE ? IS NULL OR t.fingerprint = ? GROUP BY o.component ORDER BY o.component`,
      ),
    };
  }

  /** The content address of a sequence (see src/store/sequence-components.ts), as hex. */
  static hash(t: Pick<SequenceTargets, 'tokenIds' | 'scored' | 'truncated'>): string {
    return sequenceHash(t).toString('hex');
  }

  /**
   * Stores the outputs `spec` names for each sequence, with the token sequence itself; `vocabSize`
   * sets the id width. Throws INVALID_INPUT (storing nothing) when a sequence lacks a part of the spec
   * or breaks the SequenceTargets contract.
   */
  put(
    fingerprint: string,
    vocabSize: number,
    items: readonly { targets: SequenceTargets; spec: SequenceOutputSpec }[],
  ): SequencePutResult {
    const encoded: EncodedPut[] = items.map(({ targets, spec }) => {
      checkPositions(targets);
      return {
        hash: sequenceHash(targets),
        tokens: encodeTokenSequence(targets),
        length: targets.tokenIds.length,
        rows: targets.positions.length,
        blobs: sequenceComponents(spec).map((c) => [c, encodeComponent(targets, c, vocabSize, this.#quantizer)]),
      };
    });
    const now = this.#now();
    return withBusyRetry(() =>
      this.#db
        .transaction(() => {
          const teacher = this.#teacherId(fingerprint, true)!;
          const result: SequencePutResult = { sequences: 0, outputs: 0, bytes: 0 };
          for (const e of encoded) {
            result.sequences += this.#s.insertSequence.run(e.hash, e.length, e.rows, e.tokens, now).changes;
            const seq = this.#s.sequenceId.get(e.hash)!.id;
            for (const [component, blob] of e.blobs) {
              if (this.#s.insertOutput.run(teacher, seq, component, e.rows, blob, now).changes === 0) continue;
              result.outputs++;
              result.bytes += blob.length;
            }
          }
          return result;
        })
        .immediate(),
    );
  }

  /** Each hash's stored blobs serving `spec` for this teacher, as stored; undefined where any is missing. */
  encodedMany(
    fingerprint: string,
    hashes: readonly string[],
    spec: SequenceOutputSpec,
  ): (StoredSequenceBlobs | undefined)[] {
    const wanted = sequenceComponents(spec);
    return this.#db.transaction(() => {
      const teacher = this.#teacherId(fingerprint, false);
      return hashes.map((hash) => {
        const seq = teacher === undefined ? undefined : this.#s.sequenceRow.get(Buffer.from(hash, 'hex'));
        if (teacher === undefined || !seq) return undefined;
        const have = this.#stored.names(teacher, seq.id);
        const serving = [...new Set(wanted.map((c) => servingComponent(c, have)))];
        if (serving.some((c) => c === undefined)) return undefined;
        const components = serving.map((c): [string, number, Buffer] => {
          const [positions, data] = this.#s.encodedOutput.get(teacher, seq.id, c!)!;
          return [c!, positions, data];
        });
        return { hash, length: seq.length, scored: seq.scored, tokens: seq.data, components };
      });
    })();
  }

  /** Stores blobs read by encodedMany (another store's), byte for byte; a component already stored is kept. */
  putEncoded(fingerprint: string, items: readonly StoredSequenceBlobs[]): SequencePutResult {
    const now = this.#now();
    return withBusyRetry(() =>
      this.#db
        .transaction(() => {
          const teacher = this.#teacherId(fingerprint, true)!;
          const result: SequencePutResult = { sequences: 0, outputs: 0, bytes: 0 };
          for (const e of items) {
            const hash = Buffer.from(e.hash, 'hex');
            result.sequences += this.#s.insertSequence.run(hash, e.length, e.scored, e.tokens, now).changes;
            const seq = this.#s.sequenceId.get(hash)!.id;
            for (const [component, positions, blob] of e.components) {
              if (this.#s.insertOutput.run(teacher, seq, component, positions, blob, now).changes === 0) continue;
              result.outputs++;
              result.bytes += blob.length;
            }
          }
          return result;
        })
        .immediate(),
    );
  }

  /** For each hash (hex) that lacks part of `spec` for this teacher, the components to compute. */
  missing(fingerprint: string, hashes: readonly string[], spec: SequenceOutputSpec): Map<string, string[]> {
    const wanted = sequenceComponents(spec);
    const out = new Map<string, string[]>();
    this.#db.transaction(() => {
      const teacher = this.#teacherId(fingerprint, false);
      for (const hash of hashes) {
        const seq = this.#s.sequenceId.get(Buffer.from(hash, 'hex'));
        const have = teacher === undefined || seq === undefined ? [] : this.#stored.names(teacher, seq.id);
        const lacking = wanted.filter((c) => servingComponent(c, have) === undefined);
        if (lacking.length > 0) out.set(hash, lacking);
      }
    })();
    return out;
  }

  /**
   * The stored targets of each hash (hex), with the parts `spec` names, or undefined where any is
   * missing. Top-k log-probs come back quantized (bounds in sequence-topk-codec.ts); a stored larger
   * top-k serves a smaller k (see truncateTopK); without a top-k part, `lse` is NaN (it is stored
   * with the top-k rows). With `lazyTopK`, `topk` is a StoredTopK: its rows are decoded on first use,
   * or by its `decodeInto` straight into an exporter's buffers.
   */
  getMany(
    fingerprint: string,
    hashes: readonly string[],
    spec: SequenceOutputSpec,
    opts: { lazyTopK?: boolean } = {},
  ): (SequenceTargets | undefined)[] {
    const wanted = sequenceComponents(spec);
    return this.#db.transaction(() => {
      const teacher = this.#teacherId(fingerprint, false);
      return hashes.map((hash) => {
        if (teacher === undefined) return undefined;
        const seq = this.#s.sequence.get(Buffer.from(hash, 'hex'));
        if (!seq) return undefined;
        const have = this.#stored.names(teacher, seq.id);
        const serving = wanted.map((c) => servingComponent(c, have));
        if (serving.some((c) => c === undefined)) return undefined;
        const blobs = serving.map((c) => this.#stored.blob(teacher, seq.id, c!));
        const t = assemble(decodeTokenSequence(seq.data), serving as string[], blobs, opts.lazyTopK ?? false);
        if (spec.topK !== undefined) truncateTopK(t, spec.topK);
        return t;
      });
    })();
  }

  get(fingerprint: string, hash: string, spec: SequenceOutputSpec): SequenceTargets | undefined {
    return this.getMany(fingerprint, [hash], spec)[0];
  }

  /** Stored bytes per component (all teachers, or one): rows, positions, bytes and bytes per position. */
  stats(fingerprint?: string): SequenceComponentStat[] {
    const fp = fingerprint ?? null;
    return this.#s.stats.all(fp, fp).map((r) => ({
      ...r,
      bytesPerPosition: r.positions > 0 ? r.bytes / r.positions : 0,
    }));
  }

  #teacherId(fingerprint: string, create: boolean): number | undefined {
    const cached = this.#teacherIds.get(fingerprint);
    if (cached !== undefined) return cached;
    const inserted = create && this.#s.insertTeacher.run(fingerprint).changes > 0;
    const id = this.#s.teacherId.get(fingerprint)?.id;
    // a row inserted by this transaction is cached only once it exists for sure (next call)
    if (id !== undefined && !inserted) this.#teacherIds.set(fingerprint, id);
    return id;
  }
}

function assemble(
  tokens: ReturnType<typeof decodeTokenSequence>,
  components: readonly string[],
  blobs: readonly Buffer[],
  lazyTopK: boolean,
): SequenceTargets {
  const positions: number[] = [];
  tokens.scored.forEach((s, i) => {
    if (s) positions.push(i);
  });
  const t: SequenceTargets = {
    ...tokens,
    positions: Int32Array.from(positions),
    lse: new Float32Array(positions.length).fill(NaN),
  };
  components.forEach((c, i) => applyComponent(t, c, blobs[i]!, lazyTopK));
  if (components.some((c) => componentKind(c) === 'topk') && t.lse.length !== positions.length)
    throw new DistilleryError('INTERNAL', 'stored top-k rows do not match the scored positions');
  return t;
}

/**
 * What a report needs of each stored sequence, read without decoding its top-k rows: the tail mass
 * sits at a fixed place in the top-k blob, so a pass over a dataset costs a few bytes a position
 * instead of decoding k entries a position (bench/sequence-report.ts measures both).
 */
import type Database from 'better-sqlite3';
import type { SequenceOutputSpec } from '../core/sequence-types.ts';
import { readSequenceHeader } from './codecs/sequence-blob.ts';
import { decodeSequenceTarget } from './codecs/sequence-codecs.ts';
import { decodeSequenceTailMass, decodeSequenceTopK } from './codecs/sequence-topk-decode.ts';
import { componentKind, sequenceComponents, servingComponent } from './sequence-components.ts';
import { StoredComponents } from './stored-components.ts';

export interface SequenceSummary {
  /** tokens */
  length: number;
  /** scored positions (rows) */
  positions: number;
  truncated: boolean;
  /** 1 - mass of the spec's top-k, per row; present when the spec has top-k */
  tailMass?: Float32Array;
  /** actual next token's log-prob and rank, and the entropy, per row; present when the spec has `target` */
  target?: { logprob: Float32Array; rank: Int32Array; entropy: Float32Array };
}

export class SequenceSummaries {
  readonly #db: Database.Database;
  readonly #s;
  readonly #stored: StoredComponents;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#stored = new StoredComponents(db);
    this.#s = {
      teacherId: db.prepare<[string], { id: number }>('SELECT id FROM teachers WHERE fingerprint = ?'),
      // the tokens blob's header holds the truncated flag; its ids are not needed
      sequence: db.prepare<[Buffer], { id: number; length: number; scored: number; header: Buffer }>(
        'SELECT id, length, scored, substr(data, 1, 20) AS header FROM token_sequences WHERE hash = ?',
      ),
    };
  }

  /** The summary of each hash (hex), or undefined where the sequence or a part `spec` names is not stored. */
  getMany(fingerprint: string, hashes: readonly string[], spec: SequenceOutputSpec): (SequenceSummary | undefined)[] {
    const wanted = sequenceComponents(spec);
    // one read transaction: a consistent snapshot, and one lock for the page
    return this.#db.transaction(() => this.#read(fingerprint, hashes, spec, wanted))();
  }

  #read(
    fingerprint: string,
    hashes: readonly string[],
    spec: SequenceOutputSpec,
    wanted: readonly string[],
  ): (SequenceSummary | undefined)[] {
    const teacher = this.#s.teacherId.get(fingerprint)?.id;
    return hashes.map((hash) => {
      if (teacher === undefined) return undefined;
      const seq = this.#s.sequence.get(Buffer.from(hash, 'hex'));
      if (!seq) return undefined;
      const have = this.#stored.names(teacher, seq.id);
      const out: SequenceSummary = {
        length: seq.length,
        positions: seq.scored,
        truncated: readSequenceHeader(seq.header, 'tokens').params[1] === 1,
      };
      for (const c of wanted) {
        const serving = servingComponent(c, have);
        if (serving === undefined) return undefined;
        const kind = componentKind(c);
        if (kind !== 'topk' && kind !== 'target') continue;
        const blob = this.#stored.blob(teacher, seq.id, serving);
        if (kind === 'target') out.target = decodeSequenceTarget(blob);
        else out.tailMass = serving === c ? decodeSequenceTailMass(blob) : smallerTail(blob, spec.topK!);
      }
      return out;
    });
  }
}

/** Tail mass of the first k entries of a stored larger top-k (the dropped entries join the tail). */
function smallerTail(blob: Uint8Array, k: number): Float32Array {
  const d = decodeSequenceTopK(blob);
  const rows = d.tailMass.length;
  const out = new Float32Array(rows);
  for (let p = 0; p < rows; p++) {
    let dropped = 0;
    for (let j = k; j < d.k; j++) dropped += Math.exp(d.logprobs[p * d.k + j]!);
    out[p] = Math.min(1, d.tailMass[p]! + dropped);
  }
  return out;
}

/** Validation of what callers hand the store, with errors that say what to send instead. */
import { DistilleryError } from '../core/errors.ts';
import type { Example } from '../core/types.ts';
import type { EncodedExampleRows, OpStat } from './types.ts';

export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The 32 bytes of a hex input hash, as stored. */
export function hashBytes(hash: string): Buffer {
  if (!HASH_PATTERN.test(hash))
    throw new DistilleryError('INVALID_INPUT', `'${hash}' is not an input hash`, {
      hint: 'use inputHash() from src/store/input-hash.ts',
    });
  return Buffer.from(hash, 'hex');
}

/** An input hash as stored: 32 bytes as they are, or a hex hash's bytes. */
export function hashKey(hash: string | Uint8Array): Buffer {
  if (typeof hash === 'string') return hashBytes(hash);
  if (hash.length !== 32)
    throw new DistilleryError('INVALID_INPUT', `an input hash of ${hash.length} bytes is not 32 bytes`);
  return Buffer.from(hash.buffer, hash.byteOffset, 32);
}

export function checkDatasetId(id: string): void {
  if (typeof id !== 'string' || !DATASET_ID_PATTERN.test(id)) {
    throw new DistilleryError('INVALID_INPUT', `dataset id '${id}' is not valid`, {
      hint: 'use 1-64 characters: lowercase letters, digits, dot, underscore, dash; start with a letter or digit',
    });
  }
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export function checkOpStat(o: OpStat): OpStat {
  if (
    typeof o?.op !== 'string' ||
    o.op.length === 0 ||
    !isCount(o.produced) ||
    !isCount(o.duplicates) ||
    o.duplicates > o.produced
  ) {
    throw new DistilleryError('INVALID_INPUT', `op stat ${JSON.stringify(o)} is invalid`, {
      hint: 'expected { op, produced, duplicates } with 0 <= duplicates <= produced',
    });
  }
  return o;
}

export function checkExample(e: Example, i: number): void {
  const where = `example ${i}${typeof e?.id === 'string' ? ` (id '${e.id}')` : ''}`;
  if (typeof e?.id !== 'string' || e.id.length === 0) throw new DistilleryError('INVALID_INPUT', `${where} has no id`);
  if (typeof e.text !== 'string') throw new DistilleryError('INVALID_INPUT', `${where} has no text`);
  if (e.textPair !== undefined && typeof e.textPair !== 'string')
    throw new DistilleryError('INVALID_INPUT', `${where} has a non-string textPair`);
  if (e.label !== undefined && e.label !== null && typeof e.label !== 'string' && typeof e.label !== 'number') {
    throw new DistilleryError('INVALID_INPUT', `${where} has a label that is neither string nor number`);
  }
  if (e.origin?.kind !== 'original' && e.origin?.kind !== 'augmentation') {
    throw new DistilleryError('INVALID_INPUT', `${where} has no origin`, {
      hint: "set origin to { kind: 'original' } or an augmentation origin",
    });
  }
}

/** checkExample for rows serialized as the store keeps them: the same faults, the same messages. */
export function checkEncodedExamples(rows: EncodedExampleRows): void {
  const n = rows.ids.length;
  const columns = [rows.texts, rows.pairs, rows.labels, rows.origins, rows.kinds];
  if (columns.some((c) => c.length !== n) || rows.inputHashes.length !== 32 * n)
    throw new DistilleryError('INVALID_INPUT', `example columns differ in length (${n} ids)`);
  for (let i = 0; i < n; i++) {
    const id = rows.ids[i];
    const where = `example ${i}${typeof id === 'string' ? ` (id '${id}')` : ''}`;
    if (typeof id !== 'string' || id.length === 0) throw new DistilleryError('INVALID_INPUT', `${where} has no id`);
    if (typeof rows.texts[i] !== 'string') throw new DistilleryError('INVALID_INPUT', `${where} has no text`);
    const pair = rows.pairs[i];
    if (pair !== null && typeof pair !== 'string')
      throw new DistilleryError('INVALID_INPUT', `${where} has a non-string textPair`);
    const label = rows.labels[i];
    // JSON text of a string or a number: anything else starts with another character
    if (label !== null && !(typeof label === 'string' && /^["\d-]/.test(label)))
      throw new DistilleryError('INVALID_INPUT', `${where} has a label that is neither string nor number`);
    const kind = rows.kinds[i];
    if ((kind !== 'original' && kind !== 'augmentation') || typeof rows.origins[i] !== 'string')
      throw new DistilleryError('INVALID_INPUT', `${where} has no origin`, {
        hint: "set origin to { kind: 'original' } or an augmentation origin",
      });
  }
}

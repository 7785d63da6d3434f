/** The int64 input tensors of one right-padded batch (input_ids, attention_mask, token_type_ids). */
import type { EncodedText } from './text-encoder.ts';

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Right-padded int64 feeds. Ids, mask and type ids are small non-negative integers, so on a
 * little-endian machine each int64 is written as two 32-bit words, the high one 0: no
 * BigInt per token, which made garbage collection the largest main-thread cost per batch.
 */
export function fillInt64Feeds(
  rows: readonly EncodedText[],
  seq: number,
  padId: number,
  ids: BigInt64Array,
  mask: BigInt64Array,
  types: BigInt64Array,
): void {
  if (!LITTLE_ENDIAN) {
    rows.forEach((r, b) => {
      for (let p = 0; p < seq; p++) {
        const real = p < r.ids.length;
        ids[b * seq + p] = BigInt(real ? r.ids[p]! : padId);
        mask[b * seq + p] = real ? 1n : 0n;
        types[b * seq + p] = real ? BigInt(r.typeIds[p]!) : 0n;
      }
    });
    return;
  }
  const ids32 = new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2);
  const mask32 = new Int32Array(mask.buffer, mask.byteOffset, mask.length * 2);
  const types32 = new Int32Array(types.buffer, types.byteOffset, types.length * 2);
  rows.forEach((r, b) => {
    const len = r.ids.length;
    for (let p = 0; p < seq; p++) {
      const at = (b * seq + p) * 2;
      const real = p < len;
      ids32[at] = real ? r.ids[p]! : padId;
      mask32[at] = real ? 1 : 0;
      types32[at] = real ? r.typeIds[p]! : 0;
      ids32[at + 1] = 0;
      mask32[at + 1] = 0;
      types32[at + 1] = 0;
    }
  });
}

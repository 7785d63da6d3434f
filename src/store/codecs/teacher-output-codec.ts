/**
 * TeacherOutput <-> per-component blobs. Encoding splits an output into the components the store
 * caches; decoding assembles whichever components a spec asks for back into a TeacherOutput.
 */
import { DistilleryError } from '../../core/errors.ts';
import type { Encoding, TeacherOutput } from '../../core/types.ts';
import { componentName, type Component } from '../components.ts';
import { softmaxAt } from '../probabilities.ts';
import { BLOB_VERSION, decodeTensor, DTYPE_CODES, encodeTensor } from './tensor-codec.ts';
import { decodeTopK, encodeTopK, TOPK_CODE } from './topk-codec.ts';

export interface EncodedComponent {
  component: string;
  dtype: Encoding;
  blob: Buffer;
}

/** Every component present in `output`, encoded in `encoding`. */
export function encodeTeacherOutput(output: TeacherOutput, encoding: Encoding): EncodedComponent[] {
  const out: EncodedComponent[] = [];
  if (output.logits)
    out.push({
      component: 'logits',
      dtype: encoding,
      blob: encodeTensor(output.logits, [output.logits.length], encoding),
    });
  if (output.topK && output.topK.length > 0) {
    const k = output.topK[0]!.ids.length;
    out.push({
      component: componentName({ kind: 'topk', k }),
      dtype: encoding,
      blob: encodeTopK(output.topK, encoding),
    });
  }
  for (const h of output.hidden ?? []) {
    out.push({
      component: componentName({ kind: 'hidden', layer: h.layer, pooling: h.pooling }),
      dtype: encoding,
      blob: encodeTensor(h.value.data, h.value.shape, encoding),
    });
  }
  for (const a of output.attentions ?? []) {
    out.push({
      component: componentName({ kind: 'attn', layer: a.layer }),
      dtype: encoding,
      blob: encodeTensor(a.value.data, a.value.shape, encoding),
    });
  }
  return out;
}

const ENCODINGS = Object.keys(DTYPE_CODES) as Encoding[];

/** The encoding a stored blob (tensor or top-k) declares in its header; undefined if it is not one. */
export function blobEncoding(blob: Buffer): Encoding | undefined {
  if (blob.length < 4 || blob[0] !== BLOB_VERSION) return undefined;
  const code = blob[1] === TOPK_CODE ? blob[3] : blob[1];
  return ENCODINGS.find((e) => DTYPE_CODES[e] === code);
}

// a module function, not a closure per call: exports decode once per row
function blobOf(blobs: ReadonlyMap<string, Buffer>, c: Component): Buffer {
  const blob = blobs.get(c.kind === 'logits' ? 'logits' : componentName(c));
  if (!blob) throw new DistilleryError('INTERNAL', `component ${componentName(c)} is not cached`);
  return blob;
}

/**
 * Assemble the requested components (all must be in `blobs`) into a TeacherOutput, deriving
 * probabilities at each temperature from the logits.
 */
export function decodeTeacherOutput(
  blobs: ReadonlyMap<string, Buffer>,
  wanted: readonly Component[],
  opts: { logits: boolean; temperatures: readonly number[]; tokens: number; truncated: boolean },
): TeacherOutput {
  const out: TeacherOutput = { tokens: opts.tokens, truncated: opts.truncated };
  for (const c of wanted) {
    switch (c.kind) {
      case 'logits': {
        const logits = decodeTensor(blobOf(blobs, c)).data;
        if (opts.logits) out.logits = logits;
        if (opts.temperatures.length > 0) out.probs = opts.temperatures.map((t) => softmaxAt(logits, t));
        break;
      }
      case 'topk':
        // a cached top-K with K > k serves top-k: its rows are sorted, keep the first k
        out.topK = decodeTopK(blobOf(blobs, c)).rows.map((r) =>
          r.ids.length <= c.k
            ? r
            : { ids: r.ids.slice(0, c.k), logits: r.logits.slice(0, c.k), logSumExp: r.logSumExp },
        );
        break;
      case 'hidden': {
        const t = decodeTensor(blobOf(blobs, c));
        (out.hidden ??= []).push({ layer: c.layer, pooling: c.pooling, value: { data: t.data, shape: t.shape } });
        break;
      }
      case 'attn': {
        const t = decodeTensor(blobOf(blobs, c));
        (out.attentions ??= []).push({ layer: c.layer, value: { data: t.data, shape: t.shape } });
        break;
      }
    }
  }
  return out;
}

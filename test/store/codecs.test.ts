import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeFloat16,
  decodeTeacherOutput,
  decodeTensor,
  decodeTopK,
  encodeFloat16,
  encodeTeacherOutput,
  encodeTensor,
  encodeTopK,
  float16BitsToFloat32,
  float16Payload,
  float32ToFloat16Bits,
  inputHash,
  normalizeInput,
  parseComponent,
  softmaxAt,
} from '../../src/store/index.ts';
import { SeededRng } from '../../src/core/seeded-rng.ts';

test('float16: exact values, round to nearest even, overflow, subnormals, NaN', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // rounds up to Infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half of it: tie to even (0)
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units -> even (2)
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10 -> even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9 -> even (mantissa 2)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie -> up
    [0.1, 0x2e66],
  ];
  for (const [x, bits] of cases) assert.equal(float32ToFloat16Bits(x), bits, `encode ${x}`);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  assert.equal(float16BitsToFloat32(0x7bff), 65504);
  assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
  // every finite half survives decode -> encode unchanged
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
    assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
  }
});

test('float16: relative error within half an ulp on random values', () => {
  const rng = new SeededRng('f16');
  const x = new Float32Array(10_000).map(() => (rng.next() - 0.5) * 40);
  const y = decodeFloat16(encodeFloat16(x));
  for (let i = 0; i < x.length; i++)
    assert.ok(Math.abs(x[i]! - y[i]!) <= Math.abs(x[i]!) * 2 ** -11 + 2 ** -25, `value ${x[i]}`);
});

test('tensor codec: dtype and shape travel with the blob; errors per dtype are bounded', () => {
  const rng = new SeededRng('tensor');
  const data = new Float32Array(3 * 8).map(() => (rng.next() - 0.5) * 10);
  for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
    const blob = encodeTensor(data, [3, 8], dtype);
    const t = decodeTensor(blob);
    assert.equal(t.dtype, dtype);
    assert.deepEqual(t.shape, [3, 8]);
    for (let r = 0; r < 3; r++) {
      const row = data.subarray(r * 8, r * 8 + 8);
      const maxAbs = Math.max(...row.map(Math.abs));
      const tol = dtype === 'fp32' ? 0 : dtype === 'fp16' ? maxAbs * 2 ** -11 : maxAbs / 254 + 1e-7;
      for (let c = 0; c < 8; c++) assert.ok(Math.abs(t.data[r * 8 + c]! - row[c]!) <= tol, `${dtype} [${r},${c}]`);
    }
  }
  assert.equal(encodeTensor(data, [3, 8], 'fp16').length, 4 + 8 + 48);
  assert.equal(encodeTensor(data, [3, 8], 'int8').length, 4 + 8 + 12 + 24);
  assert.throws(() => encodeTensor(data, [5, 5], 'fp32'), /does not match shape/);
  // an unaligned copy of the blob (as SQLite may hand back) decodes the same
  const blob = encodeTensor(data, [24], 'fp32');
  const unaligned = Buffer.alloc(blob.length + 1).subarray(1);
  blob.copy(unaligned);
  assert.deepEqual(decodeTensor(unaligned).data, data);
});

test('top-k codec keeps ids, values and log-sum-exp per row', () => {
  const rows = [
    { ids: Int32Array.from([5, 1, 9]), logits: Float32Array.from([3.5, 1.25, -0.5]), logSumExp: 4.2 },
    { ids: Int32Array.from([0, 2, 30000]), logits: Float32Array.from([7, 6, 5]), logSumExp: 8.1 },
  ];
  const back = decodeTopK(encodeTopK(rows, 'fp32'));
  assert.equal(back.dtype, 'fp32');
  assert.deepEqual(
    back.rows.map((r) => [...r.ids]),
    [
      [5, 1, 9],
      [0, 2, 30000],
    ],
  );
  assert.deepEqual([...back.rows[1]!.logits], [7, 6, 5]);
  assert.ok(Math.abs(back.rows[0]!.logSumExp - 4.2) < 1e-6);
  const q = decodeTopK(encodeTopK(rows, 'int8'));
  assert.ok(Math.abs(q.rows[0]!.logits[1]! - 1.25) < 3.5 / 254 + 1e-6);
});

test('teacher output codec: components round-trip and probabilities are derived', () => {
  const logits = Float32Array.from([-1.5, 2.25]);
  const hidden = new Float32Array(6).map((_, i) => i / 3);
  const attn = new Float32Array(2 * 3 * 3).fill(1 / 3);
  const parts = encodeTeacherOutput(
    {
      logits,
      topK: [{ ids: Int32Array.from([1]), logits: Float32Array.from([2.25]), logSumExp: 2.3 }],
      hidden: [{ layer: 2, pooling: 'cls', value: { data: hidden, shape: [6] } }],
      attentions: [{ layer: 0, value: { data: attn, shape: [2, 3, 3] } }],
      tokens: 3,
      truncated: false,
    },
    'fp32',
  );
  assert.deepEqual(
    parts.map((p) => p.component),
    ['logits', 'topk:1', 'hidden:2:cls', 'attn:0'],
  );
  const blobs = new Map(parts.map((p) => [p.component, p.blob]));
  const wanted = parts.map((p) => parseComponent(p.component));
  const out = decodeTeacherOutput(blobs, wanted, { logits: true, temperatures: [1, 2], tokens: 3, truncated: false });
  assert.deepEqual(out.logits, logits);
  assert.deepEqual(out.probs, [softmaxAt(logits, 1), softmaxAt(logits, 2)]);
  assert.ok(Math.abs(out.probs![0]![1]! - 1 / (1 + Math.exp(-3.75))) < 1e-6);
  assert.deepEqual(out.hidden![0]!.value.shape, [6]);
  assert.deepEqual(out.attentions![0]!.value.data, attn);
  assert.equal(out.topK![0]!.ids[0], 1);
});

test('input hash: normalization (NFC, trim, whitespace) and pairs', () => {
  assert.equal(normalizeInput({ text: '  a \t b\n' }), 'a b');
  assert.equal(inputHash({ text: 'caf\u00e9' }), inputHash({ text: 'cafe\u0301  ' }));
  assert.notEqual(inputHash({ text: 'a b' }), inputHash({ text: 'a', textPair: 'b' }));
  assert.equal(normalizeInput({ text: ' a ', textPair: ' b  c' }), 'a\u241Eb c');
  assert.match(inputHash({ text: 'x' }), /^[0-9a-f]{64}$/);
  assert.equal(inputHash({ text: '' }), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('float16 array fast path equals the exact scalar conversion', () => {
  const rng = new SeededRng('f16-fast');
  const x = new Float32Array(200_000);
  const u = new Uint32Array(x.buffer);
  // random bit patterns cover every exponent, ties, subnormals, Inf and NaN
  for (let i = 0; i < x.length; i++) u[i] = rng.nextUint32();
  for (let i = 0; i < 4096; i++) x[i] = 1 + (i + 0.5) * 2 ** -10; // exact ties
  const fast = encodeFloat16(x);
  for (let i = 0; i < x.length; i++) {
    const exact = float32ToFloat16Bits(x[i]!);
    if (Number.isNaN(x[i]!)) assert.ok((fast[i]! & 0x7c00) === 0x7c00 && (fast[i]! & 0x3ff) !== 0);
    else assert.equal(fast[i], exact, `value ${x[i]}`);
  }
  assert.deepEqual(encodeFloat16(x.subarray(1, 5)), fast.subarray(1, 5)); // unaligned views too
});

test('float16Payload: stored fp16 bits equal decode + re-encode for all 65,536 patterns; other dtypes give undefined', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const blob = encodeTensor(new Float32Array(65536), [65536], 'fp16');
  Buffer.from(all.buffer).copy(blob, 8); // header: 4 bytes + one u32 dim
  assert.deepEqual(float16Payload(blob), encodeFloat16(decodeTensor(blob).data));
  assert.equal(float16Payload(encodeTensor(new Float32Array(4), [4], 'fp32')), undefined);
  assert.equal(float16Payload(encodeTensor(new Float32Array(4), [4], 'int8')), undefined);
});

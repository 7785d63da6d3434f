import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSink } from '../../src/export/byte-sink.ts';

const pattern = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

test('file sink: a file past several chunks (written by the writer thread) has exactly the bytes and sha256 given', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sink-'));
  try {
    const path = join(dir, 'big.bin');
    const sink = new FileSink(path);
    // odd sizes straddle chunk borders; one write is bigger than a chunk
    const parts = [pattern(3, 1), pattern(5_000_001, 2), pattern(12 << 20, 3), pattern(777, 4)];
    for (const p of parts) sink.write(p);
    assert.equal(
      sink.offset,
      parts.reduce((s, p) => s + p.length, 0),
    );
    const { sha256, bytes } = sink.close();
    const written = readFileSync(path);
    assert.equal(bytes, written.length);
    assert.deepEqual(written, Buffer.concat(parts));
    assert.equal(sha256, createHash('sha256').update(written).digest('hex'));
    assert.deepEqual(sink.close(), { sha256, bytes }, 'close twice gives the same answer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file sink: owned buffers go to the thread uncopied, in order with copied writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sink-'));
  try {
    const path = join(dir, 'owned.bin');
    const sink = new FileSink(path);
    const owned = (n: number, seed: number): Uint8Array => {
      const b = new Uint8Array(new ArrayBuffer(n + 100), 0, n); // capacity beyond the bytes given
      b.set(pattern(n, seed));
      return b;
    };
    const big = owned(3 << 20, 7);
    const parts = [pattern(10, 1), big.slice(), pattern(5, 2), owned(100, 3).slice(), pattern(9_000_000, 4)];
    sink.write(parts[0]!);
    sink.writeOwned(big);
    assert.equal(big.byteLength, 0, 'the big buffer was transferred, not copied');
    sink.write(parts[2]!);
    const small = owned(100, 3);
    sink.writeOwned(small); // small: copied into a chunk like write()
    sink.write(parts[4]!);
    const { sha256, bytes } = sink.close();
    const expected = Buffer.concat(parts);
    assert.deepEqual(readFileSync(path), expected);
    assert.equal(bytes, expected.length);
    assert.equal(sha256, createHash('sha256').update(expected).digest('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file sink: a small file is written without a thread and hashed the same way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sink-'));
  try {
    const sink = new FileSink(join(dir, 'small.bin'));
    sink.write(pattern(1000, 5));
    const { sha256 } = sink.close();
    assert.equal(sha256, createHash('sha256').update(pattern(1000, 5)).digest('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'file sink: a full disk is a clear error, from the thread and from the small-file path',
  { skip: process.platform !== 'linux' && 'needs /dev/full' },
  () => {
    const big = new FileSink('/dev/full');
    assert.throws(
      () => {
        for (let i = 0; i < 64; i++) big.write(pattern(1 << 20, i));
        big.close();
      },
      (e: Error & { hint?: string }) =>
        /cannot write \/dev\/full: .*ENOSPC/.test(e.message) && /free disk space/.test(e.hint ?? ''),
    );
    big.discard();
    const small = new FileSink('/dev/full');
    small.write(pattern(10, 1));
    assert.throws(() => small.close(), /cannot write \/dev\/full: .*ENOSPC/);
    small.discard(); // after a failed close: no double close of the descriptor
    assert.throws(() => small.write(pattern(1, 1)), /already closed/);
  },
);

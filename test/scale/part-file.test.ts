/** Part files: named by their content, so the same chunk written twice is one file; corrupt bytes are refused. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodeTeacherOutput } from '../../src/store/index.ts';
import { readPart, writePart, type Part } from '../../src/jobs/scale/part-file.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('distillery-part-');

function part(label: number): Part {
  const enc = encodeTeacherOutput({ tokens: 7, truncated: false, logits: Float32Array.of(0.25, -1.5) }, 'fp16');
  return {
    header: {
      job: 'demo-0123456789ab',
      dataset: 'demo',
      chunk: 3,
      records: 1,
      examples: [{ id: '61', text: 'a fine film', label, origin: { kind: 'original' } }],
      counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
      opCounts: [],
      teachers: [
        {
          name: 'demo',
          fingerprint: 'a'.repeat(64),
          encoding: 'fp16',
          outputs: [
            {
              inputHash: 'b'.repeat(64),
              tokens: 7,
              truncated: false,
              components: enc.map((c) => [c.component, c.blob.length]),
            },
          ],
        },
      ],
    },
    blobs: [[enc.map((c) => c.blob)]],
  };
}

test('the same chunk written twice is the same file; different rows get another name', () => {
  const a = writePart(dir, part(1));
  const again = writePart(dir, part(1));
  assert.deepEqual(again, a);
  assert.match(path.basename(a.file), /^chunk-000003\.[0-9a-f]{16}\.part$/);
  const b = writePart(dir, part(0));
  assert.notEqual(b.file, a.file);
  assert.deepEqual(readdirSync(dir).sort(), [path.basename(a.file), path.basename(b.file)].sort());
  const back = readPart(a.file, a.sha256);
  assert.deepEqual(back.header, part(1).header);
  assert.ok(back.blobs[0]![0]![0]!.equals(part(1).blobs[0]![0]![0]!));
});

test('a part whose bytes changed is refused with its path', () => {
  const w = writePart(dir, part(1));
  const bytes = readFileSync(w.file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
  writeFileSync(w.file, bytes);
  assert.throws(() => readPart(w.file, w.sha256), /part .*chunk-000003.* is corrupt: sha256/);
});

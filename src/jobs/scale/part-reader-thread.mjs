// The reading half of a finalize merge (part-prefetch.ts): reads the job's parts in chunk order, checks
// each against its sha256 and hands it over parsed into the rows the store keeps (column by column, the
// file's buffer transferred for the blobs), so the merging thread only runs statements. The layout is part-file.ts's: `DPART1\n`, one line of
// header JSON, then the blobs. Plain JavaScript on purpose: a worker does not inherit a loader
// registered at run time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workerData } from 'node:worker_threads';

const { partsDir, parts, control, port, aheadBytes } = workerData;
const ctl = new Int32Array(control);
const POSTED = 0;
const CONSUMED = 1;
const STOP = 2;
const ENDED = 3;
const MAGIC = 'DPART1\n';

class PartError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}

/** A part's bytes, checked, and its header's JSON text; blobs start at `at`. */
function readPart(file, sha256) {
  const bytes = readFileSync(file);
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256)
    throw new PartError(
      `part ${file} is corrupt: sha256 ${got}, expected ${sha256}`,
      'remove it and rerun: the chunk is computed again',
    );
  const nl = bytes.indexOf(10, MAGIC.length);
  if (bytes.toString('utf8', 0, MAGIC.length) !== MAGIC || nl < 0)
    throw new PartError(`${file} is not a distillery part file`);
  return { text: bytes.toString('utf8', MAGIC.length, nl), bytes, at: nl + 1 };
}

/**
 * A part's examples as columns. Their input hashes come from the first teacher's outputs when those
 * line up with the rows: a worker lists each teacher's outputs as the distinct input hashes in row
 * order (chunk-work.ts), so as many outputs as rows means output i is row i's input. Otherwise (a
 * chunk with repeated inputs) the merging thread hashes the rows itself.
 */
function exampleColumns(header, first) {
  const ex = header.examples;
  const aligned = first !== undefined && first.perOutput.length === ex.length;
  return {
    ids: ex.map((e) => e.id),
    texts: ex.map((e) => e.text),
    pairs: ex.map((e) => e.textPair ?? null),
    labels: ex.map((e) => (e.label === undefined || e.label === null ? null : JSON.stringify(e.label))),
    origins: ex.map((e) => JSON.stringify(e.origin)),
    kinds: ex.map((e) => e.origin?.kind ?? null),
    hashes: aligned ? first.hashes : null,
  };
}

/** The outputs' hex input hashes as the 32 bytes each the store keeps, back to back. */
function packHashes(outputs, file) {
  const packed = Buffer.alloc(32 * outputs.length);
  outputs.forEach((o, i) => {
    // hex decoding stops at the first character that is not hex: 32 bytes written means 64 hex digits
    const h = o.inputHash;
    if (typeof h !== 'string' || h.length !== 64 || packed.write(h, 32 * i, 'hex') !== 32)
      throw new PartError(`part ${file}: '${h}' is not an input hash`);
  });
  return packed;
}

/**
 * One teacher's outputs as columns; blob j is `lens[j]` bytes at `starts[j]` of the part's bytes, named
 * `names[component[j]]`. Typed arrays, so handing them over copies memory instead of walking values.
 */
function outputColumns(t, at, file) {
  const blobs = t.outputs.reduce((n, o) => n + o.components.length, 0);
  const names = [];
  const component = new Uint16Array(blobs);
  const starts = new Float64Array(blobs);
  const lens = new Float64Array(blobs);
  let j = 0;
  for (const o of t.outputs)
    for (const [name, len] of o.components) {
      let k = names.indexOf(name);
      if (k < 0) k = names.push(name) - 1;
      component[j] = k;
      starts[j] = at;
      lens[j] = len;
      at += len;
      j++;
    }
  return {
    fingerprint: t.fingerprint,
    encoding: t.encoding,
    hashes: packHashes(t.outputs, file),
    tokens: Float64Array.from(t.outputs, (o) => o.tokens),
    truncated: Uint8Array.from(t.outputs, (o) => (o.truncated ? 1 : 0)),
    perOutput: Uint16Array.from(t.outputs, (o) => o.components.length),
    names,
    component,
    starts,
    lens,
    end: at,
  };
}

/** The file's own buffer, to move to the merging thread (a pooled small one is copied first). */
function owned(bytes, transfer) {
  const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes : Uint8Array.from(bytes);
  transfer.push(own.buffer);
  return own.buffer;
}

function rowsOf(file, sha256, transfer) {
  const { text, bytes, at } = readPart(file, sha256);
  const header = JSON.parse(text);
  let end = at;
  const teachers = header.teachers.map((t) => {
    const cols = outputColumns(t, end, file);
    end = cols.end;
    delete cols.end;
    return cols;
  });
  if (end !== bytes.length) throw new PartError(`part ${file}: blobs do not match its header`);
  return {
    chunk: header.chunk,
    dataset: header.dataset,
    records: header.records,
    counts: header.counts,
    opCounts: header.opCounts,
    examples: exampleColumns(header, teachers[0]),
    teachers,
    data: owned(bytes, transfer),
  };
}

try {
  let posted = 0;
  // bytes of the parts handed over and not yet taken
  const waiting = (consumed) => parts.slice(consumed, posted).reduce((s, q) => s + q.bytes, 0);
  for (const p of parts) {
    // stay at most aheadBytes of parts in front of the caller (at least one part), and stop when it is gone
    for (;;) {
      const consumed = Atomics.load(ctl, CONSUMED);
      if (posted === consumed || waiting(consumed) + p.bytes <= aheadBytes || Atomics.load(ctl, STOP) !== 0) break;
      Atomics.wait(ctl, CONSUMED, consumed, 1000);
    }
    if (Atomics.load(ctl, STOP) !== 0) break;
    let msg;
    const transfer = [];
    try {
      const file = path.join(partsDir, p.part);
      msg = { rows: rowsOf(file, p.sha256, transfer) };
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      msg = { error: m, hint: err?.hint, invalid: err instanceof PartError || err instanceof SyntaxError };
    }
    port.postMessage(msg, transfer);
    posted++;
    Atomics.store(ctl, POSTED, posted);
    Atomics.notify(ctl, POSTED);
    if (msg.error !== undefined) break;
  }
} finally {
  port.close();
  Atomics.store(ctl, ENDED, 1);
  Atomics.notify(ctl, POSTED);
}

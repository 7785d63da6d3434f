/**
 * The content-addressed output cache: one row per (teacher, normalized input hash, component), and a
 * dataset read page by page with its outputs. Callers speak in teacher fingerprints, input hashes and
 * output specs only, so new kinds of component (per-token sequences) or rows kept in part files elsewhere
 * can be added here without touching them.
 */
import type { Statement } from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import type { Encoding, OutputSpec, TeacherOutput } from '../core/types.ts';
import { hashBytes, hashKey } from './checks.ts';
import { blobEncoding, decodeTeacherOutput, encodeTeacherOutput } from './codecs/teacher-output-codec.ts';
import { componentName, ENCODING_RANK, parseComponent, serves, topkOf } from './components.ts';
import type { StoreDatabase } from './database.ts';
import type { DatasetRepository } from './datasets-repository.ts';
import { decodePage, LabelledPages } from './labelled-pages.ts';
import { pruneOutputs, type PruneResult } from './output-pruning.ts';
import { PagePrefetcher } from './page-prefetch.ts';
import type { SqliteTeacherRepository } from './teachers-repository.ts';
import type { EncodedOutputEntry, LabelledRow, OutputEntry } from './types.ts';

const PAGE_ROWS = 512;
/** hashes per batched lookup statement */
const LOOKUP_CHUNK = 500;

const PUT_HEAD =
  'INSERT INTO teacher_outputs (teacher_id, input_hash, component, dtype, tokens, truncated, data, written_at)';
// a cached row is only replaced by one at least as precise (fp32 > fp16 > int8)
const PUT_TAIL = `ON CONFLICT (teacher_id, input_hash, component) DO UPDATE SET
    dtype = excluded.dtype, tokens = excluded.tokens, truncated = excluded.truncated, data = excluded.data, written_at = excluded.written_at
  WHERE (CASE excluded.dtype WHEN 'fp32' THEN 3 WHEN 'fp16' THEN 2 ELSE 1 END)
     >= (CASE teacher_outputs.dtype WHEN 'fp32' THEN 3 WHEN 'fp16' THEN 2 ELSE 1 END)`;

export interface TeacherOutputRepository {
  /** Stores every component present in each output, encoded as `opts.encoding`; returns rows written. */
  putOutputs(fingerprint: string, entries: readonly OutputEntry[], opts: { encoding: Encoding }): number;
  /** putOutputs for blobs already encoded as `opts.encoding` (a part's): stored as they are, same rules. */
  putEncodedOutputs(fingerprint: string, entries: readonly EncodedOutputEntry[], opts: { encoding: Encoding }): number;
  /** Per input hash lacking something `spec` asks for, the component names to compute; absent = all cached. */
  missingComponents(fingerprint: string, inputHashes: readonly string[], spec: OutputSpec): Map<string, string[]>;
  /** Decoded outputs for the hashes with every component of `spec` cached (others are absent). */
  getOutputs(fingerprint: string, inputHashes: readonly string[], spec: OutputSpec): Map<string, TeacherOutput>;
  /** A dataset page by page with this teacher's outputs (undefined where not fully labelled). */
  iterateLabelled(
    datasetId: string,
    fingerprint: string,
    spec: OutputSpec,
    opts?: { pageRows?: number; float16Hidden?: boolean; prefetch?: boolean },
  ): Generator<LabelledRow>;
  /** Total cached output rows (all teachers). */
  countOutputs(): number;
  /** Removes outputs no example refers to, written more than `graceSeconds` ago; `dryRun` only counts. */
  pruneOutputs(opts?: { graceSeconds?: number; dryRun?: boolean }): PruneResult;
}

export class SqliteTeacherOutputRepository implements TeacherOutputRepository {
  readonly #db: StoreDatabase;
  readonly #datasets: DatasetRepository;
  readonly #teachers: SqliteTeacherRepository;
  readonly #pages: LabelledPages;
  readonly #s: {
    put: Statement;
    cachedComponents: Statement<[number, string], { input_hash: Buffer; component: string; dtype: Encoding }>;
    getComponents: Statement<
      [number, string, string],
      { input_hash: Buffer; component: string; tokens: number; truncated: number; data: Buffer }
    >;
    count: Statement<[], { n: number }>;
  };

  constructor(db: StoreDatabase, datasets: DatasetRepository, teachers: SqliteTeacherRepository) {
    this.#db = db;
    this.#datasets = datasets;
    this.#teachers = teachers;
    const sql = db.sql;
    this.#pages = new LabelledPages(sql);
    this.#s = {
      put: sql.prepare(`${PUT_HEAD} VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${PUT_TAIL}`),
      // batch lookups: hashes travel as one JSON array of hex strings, one native call per chunk
      cachedComponents: sql.prepare<[number, string], { input_hash: Buffer; component: string; dtype: Encoding }>(
        `SELECT input_hash, component, dtype FROM teacher_outputs
         WHERE teacher_id = ? AND input_hash IN (SELECT unhex(value) FROM json_each(?))`,
      ),
      getComponents: sql.prepare<
        [number, string, string],
        { input_hash: Buffer; component: string; tokens: number; truncated: number; data: Buffer }
      >(
        `SELECT input_hash, component, tokens, truncated, data FROM teacher_outputs
         WHERE teacher_id = ? AND input_hash IN (SELECT unhex(value) FROM json_each(?))
           AND (component IN (SELECT value FROM json_each(?)) OR component GLOB 'topk:*')`,
      ),
      count: sql.prepare<[], { n: number }>('SELECT count(*) AS n FROM teacher_outputs'),
    };
  }

  /**
   * Stores every component present in each output, encoded as `opts.encoding` (an OutputSpec
   * fits). One transaction per call: pass batches, not single rows. Returns rows written.
   */
  putOutputs(fingerprint: string, entries: readonly OutputEntry[], opts: { encoding: Encoding }): number {
    this.#db.check();
    const encoded = entries.map((e) => ({
      hash: hashBytes(e.inputHash),
      tokens: e.output.tokens,
      truncated: e.output.truncated ? 1 : 0,
      parts: encodeTeacherOutput(e.output, opts.encoding),
    }));
    return this.#db.write(() => {
      const tid = this.#teachers.teacherId(fingerprint, true);
      const now = Math.floor(this.#db.now().getTime() / 1000);
      let n = 0;
      for (const e of encoded) {
        for (const p of e.parts)
          n += this.#s.put.run(tid, e.hash, p.component, p.dtype, e.tokens, e.truncated, p.blob, now).changes;
      }
      return n;
    });
  }

  /**
   * Blobs a worker encoded (a part's) stored byte for byte: no decode and
   * re-encode (the codecs are idempotent, so the bytes are those putOutputs would store). Each blob
   * must be a known component in `opts.encoding`, else nothing is written.
   */
  putEncodedOutputs(fingerprint: string, entries: readonly EncodedOutputEntry[], opts: { encoding: Encoding }): number {
    this.#db.check();
    const known = new Set<string>();
    const rows: [Buffer, string, number, number, Buffer][] = [];
    for (const e of entries) {
      const hash = hashKey(e.inputHash);
      const truncated = e.truncated ? 1 : 0;
      for (const c of e.components) {
        if (!known.has(c.component)) {
          parseComponent(c.component); // throws on a name the store does not know
          known.add(c.component);
        }
        if (blobEncoding(c.blob) !== opts.encoding)
          throw new DistilleryError(
            'INVALID_INPUT',
            `output ${c.component} of input ${hash.toString('hex')} is not a ${opts.encoding} blob`,
            { hint: 'the part was written by another distillery version: compute its chunk again' },
          );
        rows.push([hash, c.component, e.tokens, truncated, c.blob]);
      }
    }
    return this.#db.write(() => {
      const tid = this.#teachers.teacherId(fingerprint, true);
      const now = Math.floor(this.#db.now().getTime() / 1000);
      let n = 0;
      for (const [hash, component, tokens, truncated, blob] of rows)
        n += this.#s.put.run(tid, hash, component, opts.encoding, tokens, truncated, blob, now).changes;
      return n;
    });
  }

  /**
   * For each input hash that lacks something `spec` asks for, the component names to compute
   * ('logits', 'topk:5', 'hidden:12:cls', 'attn:3'). Hashes with everything cached are absent, so
   * an empty map means a full cache hit. A component cached at lower precision than
   * spec.encoding counts as missing.
   */
  missingComponents(fingerprint: string, inputHashes: readonly string[], spec: OutputSpec): Map<string, string[]> {
    this.#db.check();
    const wanted = this.#teachers.components(fingerprint, spec).map(componentName);
    const need = ENCODING_RANK[spec.encoding];
    const unique = [...new Set(inputHashes)];
    unique.forEach(hashBytes); // validates
    const have = new Map<string, Set<string>>();
    const tid = this.#teachers.teacherId(fingerprint, false);
    if (tid !== undefined) {
      this.#db.sql.transaction(() => {
        for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
          for (const r of this.#s.cachedComponents.all(tid, JSON.stringify(unique.slice(i, i + LOOKUP_CHUNK)))) {
            if (ENCODING_RANK[r.dtype] < need) continue;
            const hex = r.input_hash.toString('hex');
            let set = have.get(hex);
            if (!set) have.set(hex, (set = new Set()));
            set.add(r.component);
          }
        }
      })();
    }
    const out = new Map<string, string[]>();
    for (const hash of unique) {
      const got = have.get(hash);
      const missing = got
        ? wanted.filter((c) => !got.has(c) && !(topkOf(c) !== undefined && [...got].some((g) => serves(g, c))))
        : wanted;
      if (missing.length > 0) out.set(hash, missing);
    }
    return out;
  }

  /**
   * Decoded outputs for the hashes that have every component of `spec` cached (others are absent:
   * ask missingComponents). Probabilities at spec.temperatures are derived from the logits.
   */
  getOutputs(fingerprint: string, inputHashes: readonly string[], spec: OutputSpec): Map<string, TeacherOutput> {
    this.#db.check();
    const wanted = this.#teachers.components(fingerprint, spec);
    const names = JSON.stringify(wanted.map(componentName));
    const unique = [...new Set(inputHashes)];
    unique.forEach(hashBytes);
    const out = new Map<string, TeacherOutput>();
    const tid = this.#teachers.teacherId(fingerprint, false);
    if (tid === undefined) return out;
    const topkName = wanted.map(componentName).find((n) => topkOf(n) !== undefined);
    const found = new Map<
      string,
      { blobs: Map<string, Buffer>; tokens: number; truncated: boolean; topkFrom?: number }
    >();
    this.#db.sql.transaction(() => {
      for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
        for (const r of this.#s.getComponents.all(tid, JSON.stringify(unique.slice(i, i + LOOKUP_CHUNK)), names)) {
          const hex = r.input_hash.toString('hex');
          let f = found.get(hex);
          if (!f) found.set(hex, (f = { blobs: new Map(), tokens: r.tokens, truncated: r.truncated === 1 }));
          const k = topkOf(r.component);
          if (k === undefined) f.blobs.set(r.component, r.data);
          else if (
            topkName !== undefined &&
            serves(r.component, topkName) &&
            !(f.topkFrom !== undefined && f.topkFrom <= k)
          ) {
            // the smallest cached top-K that serves the wanted top-k answers it
            f.topkFrom = k;
            f.blobs.set(topkName, r.data);
          }
        }
      }
    })();
    for (const hash of unique) {
      const f = found.get(hash);
      if (f && f.blobs.size === wanted.length) {
        out.set(
          hash,
          decodeTeacherOutput(f.blobs, wanted, {
            logits: spec.logits,
            temperatures: spec.temperatures,
            tokens: f.tokens,
            truncated: f.truncated,
          }),
        );
      }
    }
    return out;
  }

  /**
   * A dataset page by page with this teacher's outputs (undefined where not fully labelled).
   * `prefetch`: read the pages after the first on a worker thread while the caller works on the
   * previous one (exports); worth it for large datasets, a few ms of thread start otherwise.
   */
  *iterateLabelled(
    datasetId: string,
    fingerprint: string,
    spec: OutputSpec,
    opts: { pageRows?: number; float16Hidden?: boolean; prefetch?: boolean } = {},
  ): Generator<LabelledRow> {
    this.#db.check();
    this.#datasets.requireDataset(datasetId);
    const wanted = this.#teachers.components(fingerprint, spec);
    const pageOpts = {
      pageRows: opts.pageRows ?? PAGE_ROWS,
      logits: spec.logits,
      temperatures: spec.temperatures,
      float16Hidden: opts.float16Hidden ?? false,
    };
    const readPage = this.#db.sql.transaction((after: number) =>
      this.#pages.page(datasetId, this.#teachers.teacherId(fingerprint, false) ?? -1, wanted, after, pageOpts),
    );
    let page = readPage(-1);
    yield* page;
    if (page.length < pageOpts.pageRows) return;
    let after = page[page.length - 1]!.example.ordinal;
    if (opts.prefetch && this.#db.path !== ':memory:') {
      const tid = this.#teachers.teacherId(fingerprint, false) ?? -1;
      const reader = new PagePrefetcher(
        this.#db.path,
        LabelledPages.sqls(wanted),
        LabelledPages.bindings(datasetId, tid, wanted, pageOpts.pageRows),
        pageOpts.pageRows,
        after,
      );
      try {
        for (let parts = reader.next(); parts; parts = reader.next()) yield* decodePage(parts, wanted, pageOpts);
      } finally {
        reader.close();
      }
      return;
    }
    for (;;) {
      this.#db.check();
      page = readPage(after);
      yield* page;
      if (page.length < pageOpts.pageRows) return;
      after = page[page.length - 1]!.example.ordinal;
    }
  }

  countOutputs(): number {
    this.#db.check();
    return this.#s.count.get()!.n;
  }

  /**
   * Removes cached outputs that no example of any dataset refers to (left by deleted datasets, or
   * cached by HTTP soft-label requests), if written more than `graceSeconds` ago: a running job
   * writes a chunk's outputs just before its examples. `dryRun` only counts them.
   */
  pruneOutputs(opts: { graceSeconds?: number; dryRun?: boolean } = {}): PruneResult {
    this.#db.check();
    const grace = opts.graceSeconds ?? 3600;
    if (!(Number.isFinite(grace) && grace >= 0))
      throw new DistilleryError('INVALID_INPUT', `grace period ${grace} must be a number of seconds >= 0`);
    return pruneOutputs(this.#db.sql, Math.floor(this.#db.now().getTime() / 1000) - grace, opts.dryRun ?? false);
  }
}

/**
 * The soft-label store: one SQLite file holding datasets, their examples and the content-addressed
 * teacher outputs. Every statement is prepared once here; every write is one short IMMEDIATE
 * transaction wrapped in withBusyRetry, never spanning an await.
 */
import type Database from 'better-sqlite3';
import { DistilleryError } from '../core/errors.ts';
import type { Encoding, Example, OutputSpec, TeacherInfo, TeacherOutput } from '../core/types.ts';
import { decodeTeacherOutput, encodeTeacherOutput } from './codecs/teacher-output-codec.ts';
import { decodePage, EXAMPLE_COLUMNS, exampleFromRaw, LabelledPages } from './labelled-pages.ts';
import { PagePrefetcher } from './page-prefetch.ts';
import { pruneOutputs, vacuum, type PruneResult } from './output-pruning.ts';
import {
  componentName,
  componentsForSpec,
  ENCODING_RANK,
  serves,
  topkOf,
  type Component,
  type LayerCounts,
} from './components.ts';
import { inputHash as hashInput } from './input-hash.ts';
import { DatasetLockTable } from './dataset-lock-table.ts';
import { migrate } from './migrations/index.ts';
import { SequenceOutputs } from './sequence-outputs.ts';
import { openDatabase, withBusyRetry } from './sqlite.ts';
import type {
  AddExamplesOptions,
  AddExamplesResult,
  DatasetRecord,
  DatasetStats,
  DatasetTeacher,
  LabelledRow,
  NewDataset,
  OpStat,
  OutputEntry,
  StoredExample,
} from './types.ts';

export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const PAGE_ROWS = 512;
/** hashes per batched lookup statement */
const LOOKUP_CHUNK = 500;

export interface StoreOptions {
  /** clock for `created` timestamps (tests pin it) */
  now?: () => Date;
}

interface DatasetRow {
  id: string;
  name: string;
  created: string;
  spec: string | null;
  manifest: string | null;
}

const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const toDataset = (r: DatasetRow): DatasetRecord => ({
  id: r.id,
  name: r.name,
  created: r.created,
  spec: parseJson(r.spec),
  manifest: parseJson(r.manifest),
});

function hashBytes(hash: string): Buffer {
  if (!HASH_PATTERN.test(hash))
    throw new DistilleryError('INVALID_INPUT', `'${hash}' is not an input hash`, {
      hint: 'use inputHash() from src/store/input-hash.ts',
    });
  return Buffer.from(hash, 'hex');
}

function checkDatasetId(id: string): void {
  if (typeof id !== 'string' || !DATASET_ID_PATTERN.test(id)) {
    throw new DistilleryError('INVALID_INPUT', `dataset id '${id}' is not valid`, {
      hint: 'use 1-64 characters: lowercase letters, digits, dot, underscore, dash; start with a letter or digit',
    });
  }
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function checkOpStat(o: OpStat): OpStat {
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

function checkExample(e: Example, i: number): void {
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

export class Store {
  readonly path: string;
  readonly schemaVersion: number;
  /** which process writes which dataset (src/jobs/dataset-lock.ts holds the policy) */
  readonly locks: DatasetLockTable;
  /** causal-LM per-token outputs (src/store/sequence-outputs.ts) */
  readonly sequences: SequenceOutputs;
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #teacherIds = new Map<string, number>();
  readonly #pages: LabelledPages;
  readonly #statsCache = new Map<string, { version: string; stats: DatasetStats }>();
  #closed = false;
  readonly #s;

  constructor(path: string, opts: StoreOptions = {}) {
    this.path = path;
    this.#now = opts.now ?? (() => new Date());
    this.#db = openDatabase(path);
    try {
      this.schemaVersion = withBusyRetry(() => migrate(this.#db));
    } catch (e) {
      this.#db.close();
      throw e;
    }
    const db = this.#db;
    this.locks = new DatasetLockTable(db, () => this.#open());
    this.sequences = new SequenceOutputs(db, { now: () => Math.floor(this.#now().getTime() / 1000) });
    this.#pages = new LabelledPages(db);
    this.#s = {
      insertDataset: db.prepare('INSERT INTO datasets (id, name, created, spec, manifest) VALUES (?, ?, ?, ?, ?)'),
      getDataset: db.prepare<[string], DatasetRow>(
        'SELECT id, name, created, spec, manifest FROM datasets WHERE id = ?',
      ),
      listDatasets: db.prepare<[], DatasetRow>('SELECT id, name, created, spec, manifest FROM datasets ORDER BY id'),
      setManifest: db.prepare('UPDATE datasets SET manifest = ? WHERE id = ?'),
      deleteDataset: db.prepare('DELETE FROM datasets WHERE id = ?'),
      addOpStat: db.prepare(
        `INSERT INTO dataset_op_stats (dataset_id, op, produced, duplicates) VALUES (?, ?, ?, ?)
         ON CONFLICT (dataset_id, op) DO UPDATE SET produced = produced + excluded.produced, duplicates = duplicates + excluded.duplicates`,
      ),
      clearOpStats: db.prepare('DELETE FROM dataset_op_stats WHERE dataset_id = ?'),
      opStats: db.prepare<[string], OpStat>(
        'SELECT op, produced, duplicates FROM dataset_op_stats WHERE dataset_id = ? ORDER BY op',
      ),
      maxOrdinal: db.prepare<[string], { m: number }>(
        'SELECT coalesce(max(ordinal), -1) AS m FROM examples WHERE dataset_id = ?',
      ),
      insertExample: db.prepare(
        `INSERT INTO examples (dataset_id, ordinal, id, text, text_pair, label, origin, input_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, id) DO NOTHING`,
      ),
      pageExamples: db
        .prepare<[string, number, number], unknown[]>(
          `SELECT ${EXAMPLE_COLUMNS} FROM examples e WHERE e.dataset_id = ? AND e.ordinal > ? ORDER BY e.ordinal LIMIT ?`,
        )
        .raw(true),
      getExample: db
        .prepare<[string, string], unknown[]>(
          `SELECT ${EXAMPLE_COLUMNS} FROM examples e WHERE e.dataset_id = ? AND e.id = ?`,
        )
        .raw(true),
      exampleCounts: db.prepare<[string], { n: number; originals: number | null; unique_inputs: number }>(
        `SELECT count(*) AS n, sum(json_extract(origin, '$.kind') = 'original') AS originals,
                count(DISTINCT input_hash) AS unique_inputs FROM examples WHERE dataset_id = ?`,
      ),
      insertTeacher: db.prepare('INSERT INTO teachers (fingerprint) VALUES (?) ON CONFLICT (fingerprint) DO NOTHING'),
      teacherId: db.prepare<[string], { id: number }>('SELECT id FROM teachers WHERE fingerprint = ?'),
      setTeacherInfo: db.prepare('UPDATE teachers SET info = ? WHERE fingerprint = ?'),
      teacherInfo: db.prepare<[string], { info: string | null }>('SELECT info FROM teachers WHERE fingerprint = ?'),
      linkTeacher: db.prepare(
        `INSERT INTO dataset_teachers (dataset_id, teacher_id, spec, added) VALUES (?, ?, ?, ?)
         ON CONFLICT (dataset_id, teacher_id) DO UPDATE SET spec = excluded.spec`,
      ),
      datasetTeachers: db.prepare<[string], { fingerprint: string; spec: string; info: string | null }>(
        `SELECT t.fingerprint, dt.spec, t.info FROM dataset_teachers dt JOIN teachers t ON t.id = dt.teacher_id
         WHERE dt.dataset_id = ? ORDER BY dt.added, t.fingerprint`,
      ),
      // a cached row is only replaced by one at least as precise (fp32 > fp16 > int8)
      putOutput: db.prepare(
        `INSERT INTO teacher_outputs (teacher_id, input_hash, component, dtype, tokens, truncated, data, written_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (teacher_id, input_hash, component) DO UPDATE SET
           dtype = excluded.dtype, tokens = excluded.tokens, truncated = excluded.truncated, data = excluded.data, written_at = excluded.written_at
         WHERE (CASE excluded.dtype WHEN 'fp32' THEN 3 WHEN 'fp16' THEN 2 ELSE 1 END)
            >= (CASE teacher_outputs.dtype WHEN 'fp32' THEN 3 WHEN 'fp16' THEN 2 ELSE 1 END)`,
      ),
      // batch lookups: hashes travel as one JSON array of hex strings, one native call per chunk
      cachedComponents: db.prepare<[number, string], { input_hash: Buffer; component: string; dtype: Encoding }>(
        `SELECT input_hash, component, dtype FROM teacher_outputs
         WHERE teacher_id = ? AND input_hash IN (SELECT unhex(value) FROM json_each(?))`,
      ),
      getComponents: db.prepare<
        [number, string, string],
        { input_hash: Buffer; component: string; tokens: number; truncated: number; data: Buffer }
      >(
        `SELECT input_hash, component, tokens, truncated, data FROM teacher_outputs
         WHERE teacher_id = ? AND input_hash IN (SELECT unhex(value) FROM json_each(?))
           AND (component IN (SELECT value FROM json_each(?)) OR component GLOB 'topk:*')`,
      ),
      // a wanted top-k counts as cached when any top-K >= k is (it serves it); @k is -1 when none is wanted
      labelledCount: db.prepare<{ ds: string; tid: number; names: string; k: number; n: number }, { n: number }>(
        `SELECT count(*) AS n FROM examples e WHERE e.dataset_id = @ds AND
           (SELECT count(*) FROM teacher_outputs o WHERE o.teacher_id = @tid AND o.input_hash = e.input_hash
              AND o.component IN (SELECT value FROM json_each(@names)))
           + (@k > 0 AND EXISTS (SELECT 1 FROM teacher_outputs o WHERE o.teacher_id = @tid AND o.input_hash = e.input_hash
              AND o.component GLOB 'topk:*' AND CAST(substr(o.component, 6) AS INTEGER) >= @k)) = @n`,
      ),
      // driven from the dataset's distinct inputs: reads only this dataset's outputs
      outputBytes: db.prepare<[string, number], { b: number | null }>(
        `SELECT sum(length(o.data)) AS b FROM (SELECT DISTINCT input_hash FROM examples WHERE dataset_id = ?) e
         JOIN teacher_outputs o ON o.teacher_id = ? AND o.input_hash = e.input_hash`,
      ),
      labelTypes: db.prepare<[string], { t: string }>(
        'SELECT DISTINCT json_type(label) AS t FROM examples WHERE dataset_id = ? AND label IS NOT NULL ORDER BY t',
      ),
      countOutputs: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM teacher_outputs'),
      totalChanges: db.prepare<[], { n: number }>('SELECT total_changes() AS n'),
    };
  }

  // ---- datasets ----

  createDataset(input: NewDataset): DatasetRecord {
    this.#open();
    checkDatasetId(input.id);
    const name = input.name ?? input.id;
    const created = this.#now().toISOString();
    const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
    try {
      withBusyRetry(() =>
        this.#db
          .transaction(() => this.#s.insertDataset.run(input.id, name, created, json(input.spec), json(input.manifest)))
          .immediate(),
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new DistilleryError('INVALID_INPUT', `dataset '${input.id}' already exists`, {
          hint: 'pick another id, or delete the dataset first',
        });
      }
      throw e;
    }
    return { id: input.id, name, created, spec: input.spec ?? null, manifest: input.manifest ?? null };
  }

  getDataset(id: string): DatasetRecord | undefined {
    this.#open();
    const row = this.#s.getDataset.get(id);
    return row && toDataset(row);
  }

  /** The dataset, or a NOT_FOUND error naming it. */
  requireDataset(id: string): DatasetRecord {
    const d = this.getDataset(id);
    if (!d)
      throw new DistilleryError('NOT_FOUND', `no dataset '${id}'`, {
        hint: 'list datasets with `distillery datasets list`',
      });
    return d;
  }

  listDatasets(): DatasetRecord[] {
    this.#open();
    return this.#s.listDatasets.all().map(toDataset);
  }

  setDatasetManifest(id: string, manifest: unknown): void {
    this.#open();
    this.requireDataset(id);
    withBusyRetry(() =>
      this.#db.transaction(() => this.#s.setManifest.run(JSON.stringify(manifest ?? null), id)).immediate(),
    );
  }

  /**
   * Removes cached outputs that no example of any dataset refers to (left by deleted datasets, or
   * cached by HTTP soft-label requests), if written more than `graceSeconds` ago: a running job
   * writes a chunk's outputs just before its examples. `dryRun` only counts them.
   */
  pruneOutputs(opts: { graceSeconds?: number; dryRun?: boolean } = {}): PruneResult {
    this.#open();
    const grace = opts.graceSeconds ?? 3600;
    if (!(Number.isFinite(grace) && grace >= 0))
      throw new DistilleryError('INVALID_INPUT', `grace period ${grace} must be a number of seconds >= 0`);
    return pruneOutputs(this.#db, Math.floor(this.#now().getTime() / 1000) - grace, opts.dryRun ?? false);
  }

  /** Gives the pages freed by deletes back to the file system (rewrites the file; writers wait). */
  vacuum(): { before: number; after: number } {
    this.#open();
    return vacuum(this.#db);
  }

  /** Deletes the dataset and its examples; cached teacher outputs stay (other datasets share them: see pruneOutputs). */
  deleteDataset(id: string): boolean {
    this.#open();
    return withBusyRetry(() => this.#db.transaction(() => this.#s.deleteDataset.run(id).changes > 0).immediate());
  }

  // ---- examples ----

  /**
   * Appends examples in one transaction; ids already present are skipped. `opStats` are added in the same
   * transaction, unless every example was already present (a replayed batch must not count twice).
   */
  addExamples(datasetId: string, examples: readonly Example[], opts: AddExamplesOptions = {}): AddExamplesResult {
    this.#open();
    this.requireDataset(datasetId);
    examples.forEach(checkExample);
    const opStats = (opts.opStats ?? []).map(checkOpStat);
    const rows = examples.map(
      (e) =>
        [
          e.id,
          e.text,
          e.textPair ?? null,
          e.label === undefined || e.label === null ? null : JSON.stringify(e.label),
          JSON.stringify(e.origin),
          hashBytes(hashInput(e)),
        ] as const,
    );
    return withBusyRetry(() =>
      this.#db
        .transaction(() => {
          let ordinal = this.#s.maxOrdinal.get(datasetId)!.m;
          let inserted = 0;
          for (const [id, text, pair, label, origin, hash] of rows) {
            if (this.#s.insertExample.run(datasetId, ordinal + 1, id, text, pair, label, origin, hash).changes > 0) {
              ordinal++;
              inserted++;
            }
          }
          if (inserted > 0) for (const o of opStats) this.#s.addOpStat.run(datasetId, o.op, o.produced, o.duplicates);
          if (opts.manifest !== undefined) this.#s.setManifest.run(JSON.stringify(opts.manifest), datasetId);
          return { inserted, skipped: rows.length - inserted };
        })
        .immediate(),
    );
  }

  /** Per op chain: augmentations produced and dropped as duplicates, as the jobs recorded them; [] when none did. */
  opStats(datasetId: string): OpStat[] {
    this.#open();
    this.requireDataset(datasetId);
    return this.#s.opStats.all(datasetId).map((r) => ({ op: r.op, produced: r.produced, duplicates: r.duplicates }));
  }

  /** Replaces the dataset's per-op counts (a merge of shards writes their sums; rerunning it is safe). */
  setOpStats(datasetId: string, stats: readonly OpStat[]): void {
    this.#open();
    this.requireDataset(datasetId);
    const rows = stats.map(checkOpStat);
    withBusyRetry(() =>
      this.#db
        .transaction(() => {
          this.#s.clearOpStats.run(datasetId);
          for (const o of rows) this.#s.addOpStat.run(datasetId, o.op, o.produced, o.duplicates);
        })
        .immediate(),
    );
  }

  getExample(datasetId: string, id: string): StoredExample | undefined {
    this.#open();
    const row = this.#s.getExample.get(datasetId, id);
    return row && exampleFromRaw(row);
  }

  /**
   * Examples in ordinal order, read in pages of `pageRows` by keyset, so memory stays flat and the
   * caller may write to the store between pages (a cursor held open across yields would forbid that).
   */
  *iterateExamples(
    datasetId: string,
    opts: { afterOrdinal?: number; pageRows?: number } = {},
  ): Generator<StoredExample> {
    this.#open();
    this.requireDataset(datasetId);
    let after = opts.afterOrdinal ?? -1;
    const limit = opts.pageRows ?? PAGE_ROWS;
    for (;;) {
      this.#open();
      const page = this.#s.pageExamples.all(datasetId, after, limit);
      for (const row of page) yield exampleFromRaw(row);
      if (page.length < limit) return;
      after = page[page.length - 1]![0] as number;
    }
  }

  // ---- teachers ----

  /** Records a teacher's info (layer counts let specs say 'all' / 'last'). */
  registerTeacher(info: TeacherInfo): void {
    this.#open();
    withBusyRetry(() =>
      this.#db
        .transaction(() => {
          this.#s.insertTeacher.run(info.fingerprint);
          this.#s.setTeacherInfo.run(JSON.stringify(info), info.fingerprint);
        })
        .immediate(),
    );
  }

  getTeacher(fingerprint: string): TeacherInfo | undefined {
    this.#open();
    const row = this.#s.teacherInfo.get(fingerprint);
    return row?.info ? (JSON.parse(row.info) as TeacherInfo) : undefined;
  }

  /** Records that `datasetId` is labelled by this teacher with this spec. */
  linkTeacher(datasetId: string, fingerprint: string, spec: OutputSpec): void {
    this.#open();
    this.requireDataset(datasetId);
    withBusyRetry(() =>
      this.#db
        .transaction(() =>
          this.#s.linkTeacher.run(
            datasetId,
            this.#teacherId(fingerprint, true),
            JSON.stringify(spec),
            this.#now().toISOString(),
          ),
        )
        .immediate(),
    );
  }

  datasetTeachers(datasetId: string): DatasetTeacher[] {
    this.#open();
    return this.#s.datasetTeachers.all(datasetId).map((r) => ({
      fingerprint: r.fingerprint,
      spec: JSON.parse(r.spec) as OutputSpec,
      info: r.info ? (JSON.parse(r.info) as TeacherInfo) : undefined,
    }));
  }

  // ---- teacher outputs ----

  /** Components `spec` needs for this teacher (layers 'all'/'last' resolved from its registered info). */
  components(fingerprint: string, spec: OutputSpec): Component[] {
    const info = this.getTeacher(fingerprint);
    const counts: LayerCounts | undefined = info && {
      hiddenLayers: info.hiddenLayers,
      attentionLayers: info.attentionLayers,
      teacher: `teacher "${info.name}"`,
    };
    return componentsForSpec(spec, counts);
  }

  /**
   * Stores every component present in each output, encoded as `opts.encoding` (an OutputSpec
   * fits). One transaction per call: pass batches, not single rows. Returns rows written.
   */
  putOutputs(fingerprint: string, entries: readonly OutputEntry[], opts: { encoding: Encoding }): number {
    this.#open();
    const encoded = entries.map((e) => ({
      hash: hashBytes(e.inputHash),
      tokens: e.output.tokens,
      truncated: e.output.truncated ? 1 : 0,
      parts: encodeTeacherOutput(e.output, opts.encoding),
    }));
    return withBusyRetry(() =>
      this.#db
        .transaction(() => {
          const tid = this.#teacherId(fingerprint, true);
          const now = Math.floor(this.#now().getTime() / 1000);
          let n = 0;
          for (const e of encoded) {
            for (const p of e.parts)
              n += this.#s.putOutput.run(tid, e.hash, p.component, p.dtype, e.tokens, e.truncated, p.blob, now).changes;
          }
          return n;
        })
        .immediate(),
    );
  }

  /**
   * For each input hash that lacks something `spec` asks for, the component names to compute
   * ('logits', 'topk:5', 'hidden:12:cls', 'attn:3'). Hashes with everything cached are absent, so
   * an empty map means a full cache hit. A component cached at lower precision than
   * spec.encoding counts as missing.
   */
  missingComponents(fingerprint: string, inputHashes: readonly string[], spec: OutputSpec): Map<string, string[]> {
    this.#open();
    const wanted = this.components(fingerprint, spec).map(componentName);
    const need = ENCODING_RANK[spec.encoding];
    const unique = [...new Set(inputHashes)];
    unique.forEach(hashBytes); // validates
    const have = new Map<string, Set<string>>();
    const tid = this.#teacherId(fingerprint, false);
    if (tid !== undefined) {
      this.#db.transaction(() => {
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
    this.#open();
    const wanted = this.components(fingerprint, spec);
    const names = JSON.stringify(wanted.map(componentName));
    const unique = [...new Set(inputHashes)];
    unique.forEach(hashBytes);
    const out = new Map<string, TeacherOutput>();
    const tid = this.#teacherId(fingerprint, false);
    if (tid === undefined) return out;
    const topkName = wanted.map(componentName).find((n) => topkOf(n) !== undefined);
    const found = new Map<
      string,
      { blobs: Map<string, Buffer>; tokens: number; truncated: boolean; topkFrom?: number }
    >();
    this.#db.transaction(() => {
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
    this.#open();
    this.requireDataset(datasetId);
    const wanted = this.components(fingerprint, spec);
    const pageOpts = {
      pageRows: opts.pageRows ?? PAGE_ROWS,
      logits: spec.logits,
      temperatures: spec.temperatures,
      float16Hidden: opts.float16Hidden ?? false,
    };
    const readPage = this.#db.transaction((after: number) =>
      this.#pages.page(datasetId, this.#teacherId(fingerprint, false) ?? -1, wanted, after, pageOpts),
    );
    let page = readPage(-1);
    yield* page;
    if (page.length < pageOpts.pageRows) return;
    let after = page[page.length - 1]!.example.ordinal;
    if (opts.prefetch && this.path !== ':memory:') {
      const tid = this.#teacherId(fingerprint, false) ?? -1;
      const reader = new PagePrefetcher(
        this.path,
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
      this.#open();
      page = readPage(after);
      yield* page;
      if (page.length < pageOpts.pageRows) return;
      after = page[page.length - 1]!.example.ordinal;
    }
  }

  // ---- stats / maintenance ----

  /** Example counts only: what a resuming job needs, without the per-teacher scans of datasetStats. */
  exampleCounts(datasetId: string): { examples: number; originals: number } {
    this.#open();
    this.requireDataset(datasetId);
    const c = this.#s.exampleCounts.get(datasetId)!;
    return { examples: c.n, originals: c.originals ?? 0 };
  }

  /**
   * Counts for a dataset. They take whole-dataset scans (over a second at 100k examples), and the
   * dashboard and `datasets list` ask for every dataset, so results are kept until anything is
   * committed to the file: by this connection (total_changes) or any other (data_version).
   */
  datasetStats(datasetId: string): DatasetStats {
    this.#open();
    this.requireDataset(datasetId);
    return this.#db.transaction(() => {
      const version = `${this.#db.pragma('data_version', { simple: true })}:${this.#s.totalChanges.get()!.n}`;
      const cached = this.#statsCache.get(datasetId);
      if (cached?.version === version) return structuredClone(cached.stats);
      const stats = this.#computeStats(datasetId);
      this.#statsCache.set(datasetId, { version, stats: structuredClone(stats) });
      return stats;
    })();
  }

  #computeStats(datasetId: string): DatasetStats {
    const c = this.#s.exampleCounts.get(datasetId)!;
    const teachers = this.datasetTeachers(datasetId).map((t) => {
      const tid = this.#teacherId(t.fingerprint, false)!;
      const wanted = this.components(t.fingerprint, t.spec);
      const names = wanted.map(componentName);
      const components: Record<string, number> = {};
      const counts = this.#pages.counts(datasetId, tid, wanted);
      names.forEach((name, i) => (components[name] = counts.components[i]!));
      const k = names.map(topkOf).find((x) => x !== undefined);
      const exact = JSON.stringify(names.filter((n) => topkOf(n) === undefined));
      const labelled =
        counts.labelled ??
        this.#s.labelledCount.get({ ds: datasetId, tid, names: exact, k: k ?? -1, n: names.length })!.n;
      return {
        fingerprint: t.fingerprint,
        spec: t.spec,
        labelled,
        components,
        bytes: this.#s.outputBytes.get(datasetId, tid)!.b ?? 0,
      };
    });
    const originals = c.originals ?? 0;
    return {
      id: datasetId,
      examples: c.n,
      originals,
      augmentations: c.n - originals,
      uniqueInputs: c.unique_inputs,
      teachers,
    };
  }

  /** JSON types of the dataset's gold labels ('integer', 'real', 'text'), so exports can pick a column type. */
  labelTypes(datasetId: string): string[] {
    this.#open();
    return this.#s.labelTypes.all(datasetId).map((r) => r.t);
  }

  /** Total cached output rows (all teachers). */
  countOutputs(): number {
    this.#open();
    return this.#s.countOutputs.get()!.n;
  }

  /** 'ok' when PRAGMA integrity_check finds nothing wrong, else its first findings. */
  integrityCheck(): string {
    this.#open();
    const rows = this.#db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new DistilleryError('INTERNAL', `the store ${this.path} is closed`);
  }

  #teacherId(fingerprint: string, create: true): number;
  #teacherId(fingerprint: string, create: false): number | undefined;
  #teacherId(fingerprint: string, create: boolean): number | undefined {
    const known = this.#teacherIds.get(fingerprint);
    if (known !== undefined) return known;
    if (typeof fingerprint !== 'string' || fingerprint.length === 0)
      throw new DistilleryError('INVALID_INPUT', 'a teacher fingerprint is required');
    if (create) this.#s.insertTeacher.run(fingerprint);
    const id = this.#s.teacherId.get(fingerprint)?.id;
    if (id !== undefined) this.#teacherIds.set(fingerprint, id);
    return id;
  }
}

export function openStore(path: string, opts: StoreOptions = {}): Store {
  return new Store(path, opts);
}

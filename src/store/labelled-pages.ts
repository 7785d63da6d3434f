/**
 * Reads a dataset page by page with one teacher's cached components: the read path of every
 * export and report. One statement per page joins the examples to one alias of teacher_outputs
 * per component, so each example comes back as one raw row with its blobs side by side (no
 * per-component row, no second walk of the examples, no merge in JS). SQLite joins at most 64
 * tables, so specs with more components are read as several such statements over the same page.
 */
import type Database from 'better-sqlite3';
import type { Example } from '../core/types.ts';
import { decodeTeacherOutput } from './codecs/teacher-output-codec.ts';
import { float16Payload } from './codecs/tensor-codec.ts';
import { componentName, topkOf, type Component } from './components.ts';
import type { LabelledRow, StoredExample } from './types.ts';

/** component aliases per statement: 64 tables at most, minus the examples table, with margin */
const COMPONENTS_PER_STATEMENT = 48;
export const EXAMPLE_COLUMNS = 'e.ordinal, e.id, e.text, e.text_pair, e.label, e.origin, e.input_hash';
/** raw-row positions of the example columns, then tokens and truncated of the first component */
const TOKENS = 7;
const TRUNCATED = 8;

type RawRow = unknown[];

const ORIGINAL_JSON = JSON.stringify({ kind: 'original' } satisfies Example['origin']);

/** An examples row (EXAMPLE_COLUMNS order) as the public example shape. */
export function exampleFromRaw(r: RawRow): StoredExample {
  const label = r[4] as string | null;
  const origin = r[5] as string;
  const textPair = r[3] as string | null;
  const ex: StoredExample = {
    id: r[1] as string,
    text: r[2] as string,
    label: label === null ? null : (JSON.parse(label) as string | number),
    // most rows are originals: skip JSON.parse for the one string they all store
    origin: origin === ORIGINAL_JSON ? { kind: 'original' } : (JSON.parse(origin) as Example['origin']),
    ordinal: r[0] as number,
    inputHash: (r[6] as Buffer).toString('hex'),
  };
  if (textPair !== null) ex.textPair = textPair;
  return ex;
}

/** The component names each statement joins: at most COMPONENTS_PER_STATEMENT, and one statement even for none. */
function statementChunks(names: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i === 0 || i < names.length; i += COMPONENTS_PER_STATEMENT)
    out.push(names.slice(i, i + COMPONENTS_PER_STATEMENT));
  return out;
}

/** @cK (a component name) or @kK (the k of a top-k) for each join alias of one statement. */
function componentParams(chunk: readonly string[]): Record<string, string | number> {
  const bound: Record<string, string | number> = {};
  chunk.forEach((n, k) => {
    const topk = topkOf(n);
    if (topk === undefined) bound[`c${k}`] = n;
    else bound[`k${k}`] = topk;
  });
  return bound;
}

/** SQL for the component a join alias takes: the wanted one, or for top-k the smallest cached top-K >= k. */
function componentMatch(name: string, k: number): string {
  if (topkOf(name) === undefined) return `@c${k}`;
  return `(SELECT t.component FROM teacher_outputs t WHERE t.teacher_id = @tid AND t.input_hash = e.input_hash
            AND t.component GLOB 'topk:*' AND CAST(substr(t.component, 6) AS INTEGER) >= @k${k}
          ORDER BY CAST(substr(t.component, 6) AS INTEGER) LIMIT 1)`;
}

/** One LEFT JOIN alias (o0, o1, ...) of teacher_outputs per component, keyed on the example's input. */
function componentJoins(names: readonly string[]): string {
  return names
    .map(
      (n, k) =>
        `LEFT JOIN teacher_outputs o${k} ON o${k}.teacher_id = @tid AND o${k}.input_hash = e.input_hash AND o${k}.component = ${componentMatch(n, k)}`,
    )
    .join(' ');
}

function pageSql(names: readonly string[], first: boolean): string {
  const cols = names.map((_, k) => `o${k}.data`);
  const head = first ? `${EXAMPLE_COLUMNS}, o0.tokens, o0.truncated` : 'e.ordinal';
  return `SELECT ${head}, ${cols.join(', ')} FROM examples e ${componentJoins(names)}
          WHERE e.dataset_id = @ds AND e.ordinal > @after ORDER BY e.ordinal LIMIT @limit`;
}

/** Per component, the examples that have it cached; then those that have all of them (rowids come from the index alone). */
function countSql(names: readonly string[]): string {
  const present = names.map((_, k) => `o${k}.rowid IS NOT NULL`);
  return `SELECT ${names.map((_, k) => `count(o${k}.rowid)`).join(', ')}, count(CASE WHEN ${present.join(' AND ')} THEN 1 END)
          FROM examples e ${componentJoins(names)} WHERE e.dataset_id = @ds`;
}

export interface PageOptions {
  pageRows: number;
  /** the spec's logits flag and temperatures: what decoding derives from the logits */
  logits: boolean;
  temperatures: readonly number[];
  /** hand fp16-stored hidden states back as their binary16 bits (see LabelledRow.float16Hidden) */
  float16Hidden?: boolean;
}

export class LabelledPages {
  readonly #db: Database.Database;
  /** prepared statements per component list (specs repeat: prepare once) */
  readonly #statements = new Map<string, Database.Statement[]>();
  readonly #countStatements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The SQL of the page statements for these components (one per COMPONENTS_PER_STATEMENT). */
  static sqls(wanted: readonly Component[]): string[] {
    return statementChunks(wanted.map(componentName)).map((chunk, s) => pageSql(chunk, s === 0));
  }

  /** Each statement's parameters but `after`. */
  static bindings(
    datasetId: string,
    teacherId: number,
    wanted: readonly Component[],
    pageRows: number,
  ): Record<string, string | number>[] {
    return statementChunks(wanted.map(componentName)).map((chunk) => ({
      tid: teacherId,
      ds: datasetId,
      limit: pageRows,
      ...componentParams(chunk),
    }));
  }

  /**
   * Examples with each component cached (a wider top-K counting for top-k), and with all of them,
   * in one pass over the dataset per COMPONENTS_PER_STATEMENT components. `labelled` is undefined
   * when the components take more than one statement (or there are none): the caller counts it
   * another way.
   */
  counts(
    datasetId: string,
    teacherId: number,
    wanted: readonly Component[],
  ): { components: number[]; labelled: number | undefined } {
    const names = wanted.map(componentName);
    if (names.length === 0) return { components: [], labelled: undefined };
    const chunks = statementChunks(names);
    const components: number[] = [];
    let labelled: number | undefined;
    for (const chunk of chunks) {
      const key = chunk.join('\n');
      let st = this.#countStatements.get(key);
      if (!st) this.#countStatements.set(key, (st = this.#db.prepare(countSql(chunk)).raw(true)));
      const row = st.get({ tid: teacherId, ds: datasetId, ...componentParams(chunk) }) as number[];
      components.push(...row.slice(0, chunk.length));
      labelled = chunks.length === 1 ? row[chunk.length] : undefined;
    }
    return { components, labelled };
  }

  #prepare(wanted: readonly Component[]): Database.Statement[] {
    const key = wanted.map(componentName).join('\n');
    let list = this.#statements.get(key);
    if (!list) {
      list = LabelledPages.sqls(wanted).map((sql) => this.#db.prepare(sql).raw(true));
      this.#statements.set(key, list);
    }
    return list;
  }

  /**
   * One page after ordinal `after`: every example of the page, with `output` set where all of
   * `wanted` is cached for teacher `teacherId` (-1: none is). Call inside a read transaction when
   * the spec needs more than one statement, so the statements see the same snapshot.
   */
  page(
    datasetId: string,
    teacherId: number,
    wanted: readonly Component[],
    after: number,
    opts: PageOptions,
  ): LabelledRow[] {
    const params = LabelledPages.bindings(datasetId, teacherId, wanted, opts.pageRows);
    const parts = this.#prepare(wanted).map((st, s) => st.all({ ...params[s], after }) as RawRow[]);
    return decodePage(parts, wanted, opts);
  }
}

/** Rows of the page statements (raw rows per statement, aligned) as labelled rows. */
export function decodePage(
  parts: readonly (readonly RawRow[])[],
  wanted: readonly Component[],
  opts: PageOptions,
): LabelledRow[] {
  const names = wanted.map(componentName);
  const head = parts[0]!;
  const fp16Candidates = opts.float16Hidden ? wanted.map((c) => c.kind === 'hidden') : [];
  const decodeOpts = { logits: opts.logits, temperatures: opts.temperatures, tokens: 0, truncated: false };
  const blobs = new Map<string, Buffer>();
  const rows: LabelledRow[] = new Array(head.length);
  for (let i = 0; i < head.length; i++) {
    const r = head[i]!;
    const row: LabelledRow = { example: exampleFromRaw(r), output: undefined };
    rows[i] = row;
    blobs.clear();
    let bits: Map<string, Uint16Array> | undefined;
    let complete = true;
    for (let c = 0; c < names.length; c++) {
      const s = Math.floor(c / COMPONENTS_PER_STATEMENT);
      const col = (s === 0 ? TRUNCATED + 1 : 1) + (c % COMPONENTS_PER_STATEMENT);
      const blob = (s === 0 ? r : parts[s]![i]!)[col] as Buffer | null;
      if (blob === null) {
        complete = false;
        break;
      }
      const half = fp16Candidates[c] ? float16Payload(blob) : undefined;
      if (half) (bits ??= new Map()).set(names[c]!, half);
      else blobs.set(names[c]!, blob);
    }
    if (!complete) continue;
    if (bits) row.float16Hidden = bits;
    decodeOpts.tokens = r[TOKENS] as number;
    decodeOpts.truncated = r[TRUNCATED] === 1;
    row.output = decodeTeacherOutput(blobs, bits ? wanted.filter((_, c) => !bits.has(names[c]!)) : wanted, decodeOpts);
  }
  return rows;
}

/** An example with its blobs kept outside the store (a part file), in the order `wanted` lists them. */
export interface HeldRow {
  ordinal: number;
  example: Example;
  inputHash: Buffer;
  tokens: number;
  truncated: boolean;
  /** per wanted component, its blob; null where it is missing */
  blobs: readonly (Buffer | null)[];
}

/**
 * Labelled rows from examples and blobs held elsewhere, decoded exactly as a store page is: each row
 * is laid out as the page statements return it (examples stored the way addExamples stores them),
 * so both give the same objects and an export from either writes the same bytes.
 */
export function decodeHeldRows(
  rows: readonly HeldRow[],
  wanted: readonly Component[],
  opts: PageOptions,
): LabelledRow[] {
  const chunks = statementChunks(wanted.map(componentName));
  const parts: RawRow[][] = chunks.map(() => []);
  for (const r of rows) {
    const e = r.example;
    const label = e.label === undefined || e.label === null ? null : JSON.stringify(e.label);
    const head = [r.ordinal, e.id, e.text, e.textPair ?? null, label, JSON.stringify(e.origin), r.inputHash];
    chunks.forEach((_, s) => {
      const blobs = r.blobs.slice(s * COMPONENTS_PER_STATEMENT, (s + 1) * COMPONENTS_PER_STATEMENT);
      parts[s]!.push(s === 0 ? [...head, r.tokens, r.truncated ? 1 : 0, ...blobs] : [r.ordinal, ...blobs]);
    });
  }
  return decodePage(parts, wanted, opts);
}

/**
 * A job's parts read as the dataset the store would hold after the merge, for exports written with no
 * store (datasets too big for one SQLite file): the same teachers and specs, examples at the same
 * ordinals (chunk order), and each row's blobs decoded as a store page decodes them, so the exports are
 * the same bytes. Every pass over the rows reads and checks the parts again (their sha256, chunk, dataset
 * and teachers). One part is in memory at a time.
 */
import path from 'node:path';
import { DistilleryError } from '../../core/errors.ts';
import type { OutputSpec, TeacherInfo } from '../../core/types.ts';
import {
  componentName,
  componentsForSpec,
  decodeHeldRows,
  inputHash,
  layerCountsOf,
  topkOf,
  type Component,
  type DatasetRecord,
  type DatasetTeacher,
  type ExportSource,
  type HeldRow,
  type LabelledRow,
} from '../../store/index.ts';
import { outputSpecOf, type JobSpec } from '../job-schema.ts';
import type { RunCounts } from '../runner/ports.ts';
import { checkPartOf } from './chunk-parts.ts';
import type { ChunkResult } from './finalize.ts';
import { readPart, type Part } from './part-file.ts';

export interface PartsTotals {
  records: number;
  examples: number;
  counts: RunCounts;
}

/** SQLite's json_type of a label as the store keeps it (JSON text), for the export's label column type */
function jsonType(label: string | number): string {
  if (typeof label === 'string') return 'text';
  const text = JSON.stringify(label);
  if (!/^-?\d+$/.test(text)) return 'real';
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? 'integer' : 'real';
}

export class PartsDatasetReader implements ExportSource {
  readonly #job: JobSpec;
  readonly #partsDir: string;
  /** chunk order, one per chunk (orderedResults checked them) */
  readonly #results: readonly ChunkResult[];
  readonly #teachers: DatasetTeacher[];
  #labelTypes: string[] | undefined;
  #totals: PartsTotals | undefined;

  constructor(job: JobSpec, partsDir: string, results: readonly ChunkResult[], teachers: readonly TeacherInfo[]) {
    this.#job = job;
    this.#partsDir = partsDir;
    this.#results = results;
    // what the merge links, JSON round trip included (the store returns parsed JSON)
    const spec = JSON.parse(JSON.stringify(outputSpecOf(job))) as OutputSpec;
    this.#teachers = teachers.map((info) => ({ fingerprint: info.fingerprint, spec, info }));
  }

  requireDataset(id: string): DatasetRecord {
    if (id !== this.#job.dataset)
      throw new DistilleryError('NOT_FOUND', `the parts hold dataset ${this.#job.dataset}, not ${id}`);
    return { id, name: id, created: '', spec: null, manifest: null };
  }

  datasetTeachers(datasetId: string): DatasetTeacher[] {
    this.requireDataset(datasetId);
    return this.#teachers.map((t) => ({ ...t }));
  }

  components(fingerprint: string, spec: OutputSpec): Component[] {
    const info = this.#teachers.find((t) => t.fingerprint === fingerprint)?.info;
    return componentsForSpec(spec, info && layerCountsOf(info));
  }

  /** Reads every part once (checking each) and keeps the answer for later exports of the same reader. */
  labelTypes(datasetId: string): string[] {
    this.requireDataset(datasetId);
    if (!this.#labelTypes) {
      const types = new Set<string>();
      const totals: PartsTotals = {
        records: 0,
        examples: 0,
        counts: { augmentSkipped: 0, duplicatesDropped: 0, filteredOut: 0, flagged: 0 },
      };
      for (const { header } of this.#parts()) {
        totals.records += header.records;
        totals.examples += header.examples.length;
        for (const k of Object.keys(totals.counts) as (keyof RunCounts)[]) totals.counts[k] += header.counts[k];
        for (const e of header.examples) if (e.label !== undefined && e.label !== null) types.add(jsonType(e.label));
      }
      this.#labelTypes = [...types].sort();
      this.#totals = totals;
    }
    return [...this.#labelTypes];
  }

  /** Checks every part (bytes, chunk, dataset, teachers) before anything is written from them; the totals. */
  verify(): PartsTotals {
    this.labelTypes(this.#job.dataset);
    return { ...this.#totals!, counts: { ...this.#totals!.counts } };
  }

  *iterateLabelled(
    datasetId: string,
    fingerprint: string,
    spec: OutputSpec,
    opts: { pageRows?: number; float16Hidden?: boolean; prefetch?: boolean } = {},
  ): Generator<LabelledRow> {
    this.requireDataset(datasetId);
    const wanted = this.components(fingerprint, spec);
    const names = wanted.map(componentName);
    const pageOpts = {
      pageRows: 0,
      logits: spec.logits,
      temperatures: spec.temperatures,
      float16Hidden: opts.float16Hidden ?? false,
    };
    let ordinal = 0;
    for (const part of this.#parts()) {
      const ti = part.header.teachers.findIndex((t) => t.fingerprint === fingerprint);
      const outputs = new Map<string, { o: number; components: Map<string, Buffer> }>();
      if (ti >= 0)
        part.header.teachers[ti]!.outputs.forEach((o, oi) =>
          outputs.set(o.inputHash, {
            o: oi,
            components: new Map(o.components.map(([name], ci) => [name, part.blobs[ti]![oi]![ci]!])),
          }),
        );
      // as many outputs as rows: output i is row i's input (a worker lists the distinct inputs in row order)
      const first = part.header.teachers[0]?.outputs;
      const aligned = first !== undefined && first.length === part.header.examples.length;
      const rows: HeldRow[] = part.header.examples.map((example, i) => {
        const hash = aligned ? first[i]!.inputHash : inputHash(example);
        const held = outputs.get(hash);
        const o = held && part.header.teachers[ti]!.outputs[held.o]!;
        return {
          ordinal: ordinal++,
          example,
          inputHash: Buffer.from(hash, 'hex'),
          tokens: o?.tokens ?? 0,
          truncated: o?.truncated ?? false,
          blobs: names.map((n) => (held ? blobFor(held.components, n) : null)),
        };
      });
      yield* decodeHeldRows(rows, wanted, pageOpts);
    }
  }

  *#parts(): Generator<Part> {
    for (const r of this.#results) {
      const part = readPart(path.join(this.#partsDir, r.part), r.sha256);
      checkPartOf(r, part.header, this.#job.dataset);
      yield part;
    }
  }
}

/** The blob for a wanted component; for top-k, as the store picks it: the smallest held top-K >= k. */
function blobFor(components: ReadonlyMap<string, Buffer>, name: string): Buffer | null {
  const exact = components.get(name);
  if (exact) return exact;
  const k = topkOf(name);
  if (k === undefined) return null;
  let best: [number, Buffer] | undefined;
  for (const [n, blob] of components) {
    const have = topkOf(n);
    if (have !== undefined && have >= k && (!best || have < best[0])) best = [have, blob];
  }
  return best?.[1] ?? null;
}

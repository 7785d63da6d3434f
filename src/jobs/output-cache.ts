/**
 * Where the soft labeller looks before calling a teacher. The store-backed implementation is
 * content-addressed (teacher fingerprint, input hash, output spec); the in-memory one serves when a
 * caller has no store (and bounds its memory).
 */
import type { OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../core/types.ts';
import { specKey } from './micro-batcher.ts';

export interface OutputCache {
  /** one entry per input: the stored output, or undefined when any requested part is missing */
  lookup(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec): (TeacherOutput | undefined)[];
  save(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec, outputs: TeacherOutput[]): void;
}

export class MemoryOutputCache implements OutputCache {
  readonly #max: number;
  // Map keeps insertion order, so re-inserting on a hit makes it an LRU.
  readonly #entries = new Map<string, TeacherOutput>();

  constructor(maxEntries = 10_000) {
    this.#max = maxEntries;
  }

  #key(teacher: TeacherInfo, input: TextInput, spec: OutputSpec): string {
    return JSON.stringify([teacher.fingerprint, input.text, input.textPair ?? null, specKey(spec)]);
  }

  lookup(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec): (TeacherOutput | undefined)[] {
    return inputs.map((input) => {
      const k = this.#key(teacher, input, spec);
      const hit = this.#entries.get(k);
      if (hit) {
        this.#entries.delete(k);
        this.#entries.set(k, hit);
      }
      return hit;
    });
  }

  save(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec, outputs: TeacherOutput[]): void {
    inputs.forEach((input, i) => {
      const out = outputs[i];
      if (!out) return;
      this.#entries.set(this.#key(teacher, input, spec), out);
      if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    });
  }
}

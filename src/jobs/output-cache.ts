/**
 * Where the soft labeller looks before calling a teacher: the store's content-addressed outputs,
 * keyed by (teacher fingerprint, normalized input hash, output components). The same input through
 * the same teacher is computed once, whichever front door (HTTP, CLI job) asked first.
 */
import type { OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../core/types.ts';
import { inputHash, type Store } from '../store/index.ts';

export interface OutputCache {
  /** one entry per input: the stored output, or undefined when any requested part is missing */
  lookup(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec): (TeacherOutput | undefined)[];
  save(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec, outputs: TeacherOutput[]): void;
}

export class StoreOutputCache implements OutputCache {
  readonly #store: Store;
  readonly #registered = new Set<string>();

  constructor(store: Store) {
    this.#store = store;
  }

  // The store resolves layers 'all' / 'last' from the teacher's registered layer counts.
  #register(teacher: TeacherInfo): void {
    if (this.#registered.has(teacher.fingerprint)) return;
    this.#store.registerTeacher(teacher);
    this.#registered.add(teacher.fingerprint);
  }

  lookup(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec): (TeacherOutput | undefined)[] {
    this.#register(teacher);
    const hashes = inputs.map(inputHash);
    const found = this.#store.getOutputs(teacher.fingerprint, hashes, spec);
    return hashes.map((h) => found.get(h));
  }

  save(teacher: TeacherInfo, inputs: TextInput[], spec: OutputSpec, outputs: TeacherOutput[]): void {
    this.#register(teacher);
    const entries = inputs.map((input, i) => ({ inputHash: inputHash(input), output: outputs[i]! }));
    this.#store.putOutputs(teacher.fingerprint, entries, { encoding: spec.encoding });
  }
}

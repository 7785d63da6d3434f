/**
 * The store's content-addressed outputs as a LabelCache, keyed by (teacher fingerprint, normalized
 * input hash, output component). The same input through the same teacher is computed once, whichever
 * front door (HTTP, CLI job) asked first.
 */
import type { OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../core/types.ts';
import { inputHash, specForComponents, type TeacherOutputRepository, type TeacherRepository } from '../store/index.ts';
import type { LabelCache } from './label-cache.ts';

export class StoreLabelCache implements LabelCache {
  readonly #store: TeacherRepository & TeacherOutputRepository;
  readonly #registered = new Set<string>();

  constructor(store: TeacherRepository & TeacherOutputRepository) {
    this.#store = store;
  }

  // The store resolves layers 'all' / 'last' from the teacher's registered layer counts.
  #register(teacher: TeacherInfo): void {
    if (this.#registered.has(teacher.fingerprint)) return;
    this.#store.registerTeacher(teacher);
    this.#registered.add(teacher.fingerprint);
  }

  inputHash(input: TextInput): string {
    return inputHash(input);
  }

  missing(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, OutputSpec> {
    this.#register(teacher);
    const out = new Map<string, OutputSpec>();
    for (const [hash, names] of this.#store.missingComponents(teacher.fingerprint, hashes, spec)) {
      out.set(hash, specForComponents(names, spec.encoding));
    }
    return out;
  }

  saveOutputs(
    teacher: TeacherInfo,
    spec: OutputSpec,
    entries: readonly { inputHash: string; output: TeacherOutput }[],
  ): void {
    this.#register(teacher);
    this.#store.putOutputs(teacher.fingerprint, entries, { encoding: spec.encoding });
  }

  outputs(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, TeacherOutput> {
    this.#register(teacher);
    return this.#store.getOutputs(teacher.fingerprint, hashes, spec);
  }
}

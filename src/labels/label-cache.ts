/**
 * What the labelling gate needs of the output cache: the content address of an input, what each
 * address still lacks, a place to save computed outputs and a way to read complete ones back.
 * src/store answers all four; the job runner's store adapter and StoreLabelCache bind them.
 */
import type { OutputSpec, TeacherInfo, TeacherOutput, TextInput } from '../core/types.ts';

export interface LabelCache {
  /** sha256 of the normalized input: the content address shared with the store */
  inputHash(input: TextInput): string;
  /** Per input hash, the part of `spec` not cached yet; hashes that are fully cached are absent. */
  missing(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, OutputSpec>;
  /** Stores every component present in the outputs, encoded as spec.encoding. */
  saveOutputs(
    teacher: TeacherInfo,
    spec: OutputSpec,
    entries: readonly { inputHash: string; output: TeacherOutput }[],
  ): void;
  /** Complete cached outputs for `spec`; hashes lacking any component are absent. */
  outputs(teacher: TeacherInfo, hashes: readonly string[], spec: OutputSpec): Map<string, TeacherOutput>;
}

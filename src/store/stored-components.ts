/**
 * The reads of a stored sequence's output rows (table sequence_outputs) that the targets
 * (sequence-outputs.ts) and the report summaries (sequence-summaries.ts) share.
 */
import type Database from 'better-sqlite3';

export class StoredComponents {
  readonly #components;
  readonly #blob;

  constructor(db: Database.Database) {
    this.#components = db
      .prepare<[number, number], [string]>(
        'SELECT component FROM sequence_outputs WHERE teacher_id = ? AND sequence_id = ?',
      )
      .raw(true);
    this.#blob = db
      .prepare<[number, number, string], [Buffer]>(
        'SELECT data FROM sequence_outputs WHERE teacher_id = ? AND sequence_id = ? AND component = ?',
      )
      .raw(true);
  }

  /** The components stored for this teacher and sequence (ids as the store keeps them). */
  names(teacher: number, sequence: number): string[] {
    return this.#components.all(teacher, sequence).map((r) => r[0]);
  }

  /** One stored component's blob; `names` has listed it. */
  blob(teacher: number, sequence: number, component: string): Buffer {
    return this.#blob.get(teacher, sequence, component)![0];
  }
}

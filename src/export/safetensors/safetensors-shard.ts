/**
 * One safetensors shard being written: a SafetensorsWriter with its scratch folder beside the output, and
 * the ShardFile that appears under its final name only when complete. Both safetensors exports
 * (classifier outputs, causal-LM targets) declare and append their own tensors on `writer`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportedFile } from '../export-options.ts';
import { ShardFile } from '../shards.ts';
import { SafetensorsWriter } from './safetensors-writer.ts';

export class SafetensorsShard {
  readonly file: ShardFile;
  readonly writer: SafetensorsWriter;
  readonly #tmp: string;

  constructor(outDir: string, name: string) {
    this.file = new ShardFile(outDir, name);
    this.#tmp = mkdtempSync(join(outDir, `.${name}-`));
    this.writer = new SafetensorsWriter(this.#tmp);
  }

  /** Writes the header (with `metadata`) and the tensors, and gives the file its final name. */
  finish(metadata: Record<string, string>, rows: number): ExportedFile {
    this.writer.finish(this.file.sink, metadata);
    rmSync(this.#tmp, { recursive: true, force: true });
    return this.file.commit(rows);
  }

  /** Leaves nothing behind: no scratch folder, no partial file. */
  abort(): void {
    this.writer.abort();
    rmSync(this.#tmp, { recursive: true, force: true });
    this.file.discard();
  }
}

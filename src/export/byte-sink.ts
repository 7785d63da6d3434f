/** Where export writers put bytes: synchronous appends that remember the offset. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';

export class FileSink {
  readonly path: string;
  offset = 0;
  readonly #fd: number;
  readonly #hash: Hash = createHash('sha256');
  #closed = false;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done);
    this.#hash.update(bytes);
    this.offset += bytes.length;
  }

  /** Closes the file; returns its sha256 (hex) and size. */
  close(): { sha256: string; bytes: number } {
    if (!this.#closed) {
      this.#closed = true;
      closeSync(this.#fd);
    }
    return { sha256: this.#hash.copy().digest('hex'), bytes: this.offset };
  }
}

// The background half of FileSink (byte-sink.ts): appends the chunks it is sent to an open file
// descriptor and hashes them, so an export's disk writes and sha256 run beside the thread that
// reads SQLite and encodes pages. Plain JavaScript on purpose: a worker does not inherit a loader
// registered at run time (bin/distillery.js registers tsx that way), and this needs none.
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { fd, control, replies } = workerData;
const ctl = new Int32Array(control);
const PENDING = 0;
const STATE = 1;
const hash = createHash('sha256');
let failed = false;

function finish(state, message) {
  replies.postMessage(message);
  Atomics.store(ctl, STATE, state);
  Atomics.notify(ctl, STATE);
  parentPort.close();
  replies.close();
}

parentPort.on('message', (msg) => {
  if (failed) return;
  try {
    if (msg.close) {
      finish(1, { sha256: hash.digest('hex') });
      return;
    }
    const bytes = new Uint8Array(msg.chunk, 0, msg.length);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    hash.update(bytes);
    Atomics.sub(ctl, PENDING, bytes.length);
    Atomics.notify(ctl, PENDING);
  } catch (err) {
    failed = true;
    Atomics.store(ctl, PENDING, 0);
    Atomics.notify(ctl, PENDING);
    finish(2, { error: err instanceof Error ? err.message : String(err) });
  }
});

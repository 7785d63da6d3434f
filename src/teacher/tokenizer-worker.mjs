// Tokenizes for one teacher in its own thread (src/teacher/tokenizer-thread.ts starts it), so a large
// labelling call's tokenizing neither occupies the main thread nor waits for the model: the next chunk
// of texts is tokenized here while the current one runs in the session thread.
// It registers tsx itself (a worker does not inherit the loader the CLI registers) to run the very
// TextEncoder the main thread uses, so the ids are the same whichever thread made them.
//
// Protocol (each request carries an id; each reply echoes it):
//   { op: 'open', dir, maxLength }  -> { ok }
//   { op: 'encode', inputs }         -> { ok, encoded }   inputs: TextInput[], encoded: EncodedText[]
//   any failure                      -> { ok: false, message }
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const modules = Promise.all([import('./hf-env.ts'), import('./text-encoder.ts')]);
let encoder;

async function handle(msg) {
  const [{ loadTokenizer }, { TextEncoder }] = await modules;
  if (msg.op === 'open') {
    encoder = new TextEncoder(await loadTokenizer(msg.dir), msg.maxLength);
    return {};
  }
  if (msg.op === 'encode') {
    if (!encoder) throw new Error('no tokenizer is open');
    return { encoded: msg.inputs.map((input) => encoder.encode(input)) };
  }
  throw new Error(`unknown op ${msg.op}`);
}

parentPort.on('message', (msg) => {
  handle(msg).then(
    (body) => parentPort.postMessage({ id: msg.id, ok: true, ...body }),
    (err) =>
      parentPort.postMessage({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
});

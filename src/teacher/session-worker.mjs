// One onnxruntime-node session in its own thread (src/teacher/worker-session.ts starts it).
// onnxruntime-node runs the model synchronously on the calling thread, so a batch here leaves the
// main thread free. Plain JavaScript on purpose: a worker does not inherit the tsx loader when the
// CLI registers tsx programmatically (bin/distillery.js), and this file needs nothing but ORT.
//
// Protocol (each request carries an id; each reply echoes it):
//   { op: 'open', path, options }  -> { ok, inputNames, outputNames, outputMetadata }
//   { op: 'run', feeds, fetches, graph? } -> { ok, outputs }   feeds/outputs: { name: { type, data, dims } }
//   { op: 'open-graph', graph, path } -> { ok }   another graph of the same model (e.g. pruned to some
//                                      outputs, src/teacher/pruned-graphs.ts), same options; `run` with
//                                      `graph` uses it
//   { op: 'close-graph', graph? }  -> { ok }   without `graph`: frees the main model (names stay)
//   { op: 'release' }               -> { ok }
//   { op: 'crash', message }        -> no reply: throws outside any handler, as a bug here would
//                                      (tests use it to check that a dead thread fails cleanly)
//   any failure                     -> { ok: false, message }
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

let session;
let sessionOptions;
/** graph name -> session, beside the main one */
const graphs = new Map();

function reply(id, body, transfer = []) {
  parentPort.postMessage({ id, ok: true, ...body }, transfer);
}

/** Moves each output's buffer to the main thread; copies the ones that cannot move on their own. */
function sendOutputs(id, out, fetches) {
  const outputs = {};
  const transfer = [];
  for (const name of fetches) {
    const t = out[name];
    let data = t.data;
    // A view on part of a buffer, or a buffer another output already moves, would take the rest with it.
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || transfer.includes(data.buffer))
      data = data.slice();
    outputs[name] = { type: t.type, data, dims: t.dims };
    transfer.push(data.buffer);
  }
  try {
    reply(id, { outputs }, transfer);
  } catch {
    // Memory ORT owns (an external buffer) cannot be transferred: send copies instead.
    for (const o of Object.values(outputs)) o.data = o.data.slice();
    reply(
      id,
      { outputs },
      Object.values(outputs).map((o) => o.data.buffer),
    );
  }
}

async function handle(msg) {
  switch (msg.op) {
    case 'open': {
      if (session) await session.release();
      session = undefined;
      session = await ort.InferenceSession.create(msg.path, msg.options);
      sessionOptions = msg.options;
      reply(msg.id, {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        outputMetadata: session.outputMetadata,
      });
      return;
    }
    case 'run': {
      const target = msg.graph === undefined ? session : graphs.get(msg.graph);
      if (!target)
        throw new Error(msg.graph === undefined ? 'the main graph is not open' : `no graph ${msg.graph} is open`);
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      sendOutputs(msg.id, await target.run(feeds, msg.fetches), msg.fetches);
      return;
    }
    case 'open-graph': {
      await graphs.get(msg.graph)?.release();
      graphs.delete(msg.graph);
      graphs.set(msg.graph, await ort.InferenceSession.create(msg.path, sessionOptions));
      reply(msg.id, {});
      return;
    }
    case 'close-graph': {
      if (msg.graph === undefined) {
        await session?.release();
        session = undefined;
      }
      await graphs.get(msg.graph)?.release();
      graphs.delete(msg.graph);
      reply(msg.id, {});
      return;
    }
    case 'release': {
      for (const g of graphs.values()) await g.release();
      graphs.clear();
      await session?.release();
      session = undefined;
      reply(msg.id, {});
      return;
    }
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

parentPort.on('message', (msg) => {
  if (msg.op === 'crash') throw new Error(msg.message ?? 'crash requested');
  handle(msg).catch((err) =>
    parentPort.postMessage({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
});

/**
 * A real writer process for the crash and concurrency tests. Writes `batches` batches of `size`
 * examples (each followed by their outputs) into DATASET and prints `committed EXAMPLES OUTPUTS`
 * after each transaction commits, so the parent knows what must survive a kill -9.
 *
 * usage: tsx test/helpers/store-writer.ts DB DATASET BATCHES SIZE [SHARED_PREFIX]
 * With STORE_WRITER_BARRIER=1 it prints `ready` once the store is open and waits for a line on stdin.
 */
import { openStore, inputHash } from '../../src/store/index.ts';
import type { Example } from '../../src/core/types.ts';

const [path, dataset, batchesArg, sizeArg, sharedPrefix] = process.argv.slice(2);
if (!path || !dataset || !batchesArg || !sizeArg)
  throw new Error('usage: store-writer DB DATASET BATCHES SIZE [SHARED_PREFIX]');
const batches = Number(batchesArg);
const size = Number(sizeArg);

const store = openStore(path);
if (!store.getDataset(dataset)) store.createDataset({ id: dataset });
store.registerTeacher({
  name: 'writer',
  fingerprint: 'fp-writer',
  task: 'text-classification',
  labels: ['a', 'b'],
  device: 'cpu',
  dtype: 'fp32',
  maxLength: 64,
  hiddenLayers: 13,
  attentionLayers: 12,
});
// a start barrier, so two writers really run at the same time however slowly each one starts
if (process.env.STORE_WRITER_BARRIER === '1') {
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
}
let examples = 0;
let outputs = 0;
const hidden = new Float32Array(768).map((_, i) => Math.sin(i));
for (let b = 0; b < batches; b++) {
  // texts under a shared prefix collide between writers: the same content-addressed rows
  const batch: Example[] = Array.from({ length: size }, (_, i) => ({
    id: `${dataset}-${b}-${i}`,
    text: `${sharedPrefix ?? dataset} text ${b} ${i}`,
    origin: { kind: 'original' },
  }));
  store.addExamples(dataset, batch);
  examples += size;
  process.stdout.write(`committed ${examples} ${outputs}\n`);
  store.putOutputs(
    'fp-writer',
    batch.map((e, i) => ({
      inputHash: inputHash(e),
      output: {
        logits: Float32Array.from([i / size, -i / size]),
        hidden: [{ layer: 12, pooling: 'cls' as const, value: { data: hidden, shape: [768] } }],
        tokens: 8,
        truncated: false,
      },
    })),
    { encoding: 'fp16' },
  );
  outputs += size;
  process.stdout.write(`committed ${examples} ${outputs}\n`);
}
store.close();
process.stdout.write('done\n');
